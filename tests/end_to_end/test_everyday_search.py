"""Search finds the operation meant, in the published package's own catalog, for tasks phrased the way people on a
job talk: through the official client, in the default (hybrid) mode. Every intended operation ranks in the top 3,
and first for at least 90% of the queries (the issue's bar); the misses are printed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mcp import Client

from tests.end_to_end.conftest import run_session
from tests.support.fake_procore import FakeProcore

# What someone would ask, and the operation (by operationId) that answers it.
EVERYDAY = [
    # Where every session starts.
    ("which projects do I have", "listProjects"),
    ("companies I can access", "listCompanies"),
    ("who is on the project team", "listProjectUsers"),
    ("phone number of the electrical sub", "listProjectVendors"),
    ("add a user to the project", "addUserToProject"),
    ("project locations", "listProjectLocations"),
    ("key dates of the project", "listProjectDates"),
    # RFIs.
    ("who still owes an answer on RFI 12", "listRfis"),
    ("reply to an RFI", "createRfiReply"),
    ("answer the RFI about the footing depth", "createRfiReply"),
    ("raise an RFI about the missing door hardware", "createRfi"),
    ("change the due date of an RFI", "updateRfi"),
    ("RFIs in the recycle bin", "listRecycledRfis"),
    ("read the replies on an RFI", "listRfiReplies"),
    # Submittals.
    ("open submittals on this job", "listSubmittals"),
    ("who are the approvers on the curtain wall submittal", "showSubmittalWithApprovers"),
    ("approve a submittal", "updateSubmittalApprover"),
    ("new submittal for the shop drawings", "createSubmittal"),
    ("submittal packages", "listSubmittalPackages"),
    ("revisions of a submittal", "listSubmittalRevisions"),
    # Daily log.
    ("log today's rain delay", "createDelayLog"),
    ("record the weather for today", "createWeatherLog"),
    ("how many workers were on site yesterday", "listManpowerLogs"),
    ("add the framing crew to today's manpower", "createManpowerLog"),
    ("add a note to today's daily report", "createNotesLog"),
    ("log a concrete delivery", "createDeliveryLog"),
    ("sign in a visitor on site", "createVisitorLog"),
    ("record a safety violation", "createSafetyViolationLog"),
    ("log the excavator hours in the daily log", "createDailyEquipmentLog"),
    ("log a phone call with the architect", "createCallLog"),
    ("pull up the delivery log for this week", "listDeliveryLogs"),
    # Inspections, observations, incidents, action plans.
    ("open inspections", "listInspections"),
    ("mark an inspection item as passed", "updateInspectionItem"),
    ("start an inspection from a template", "createInspection"),
    ("inspection templates for the project", "listProjectInspectionTemplates"),
    ("open safety observations", "listObservations"),
    ("create an observation for the missing guardrail", "createObservation"),
    ("report a near miss", "createIncident"),
    ("incidents this month", "listIncidents"),
    ("action plans", "listActionPlans"),
    # Punch list.
    ("add a punch item for the cracked window in unit 4B", "createPunchItem"),
    ("open punch items for the drywall sub", "listPunchItems"),
    ("close a punch item", "updatePunchItem"),
    ("upload a photo of the damage", "createImage"),
    # Meetings, drawings, specifications, documents.
    ("schedule an OAC meeting", "createMeeting"),
    ("meeting minutes from last week", "listMeetings"),
    ("add an agenda item to the meeting", "createMeetingTopic"),
    ("latest drawing revisions", "listDrawingRevisions"),
    ("spec sections", "listSpecificationSections"),
    ("browse the document folders", "listProjectFoldersAndFiles"),
    ("upload a file to documents", "createProjectFile"),
    # Schedule, tasks, correspondence, forms.
    ("what's on the schedule this week", "listScheduleTasks"),
    ("lookahead schedule", "listScheduleLookaheads"),
    ("give the superintendent a new task", "createTaskItem"),
    ("send an email to the owner", "createEmailCommunication"),
    ("correspondence log", "listCorrespondenceItems"),
    ("forms", "listForms"),
    # Money.
    ("what changed on the budget this week", "listBudgetChanges"),
    ("open change events with their amounts", "listChangeEventsWithAmounts"),
    ("PCOs on the project", "listPotentialChangeOrders"),
    ("change orders with the owner", "listPrimeChangeOrders"),
    ("subcontracts", "listWorkOrderContracts"),
    ("purchase orders", "listPurchaseOrderContracts"),
    ("T&M tickets", "listTimeAndMaterialEntries"),
    ("direct costs this month", "listDirectCosts"),
    ("pay apps from the subs", "listRequisitions"),
    ("cost codes", "listCostCodes"),
    # Time and equipment; integrations.
    ("timecards for today", "listTimecardEntries"),
    ("equipment on the project", "listProjectEquipment"),
    ("set up a webhook for new RFIs", "createWebhookHook"),
    # Bidding and the estimating bid board.
    ("bid packages on this project", "listBidPackages"),
    ("create a bid package for drywall", "createBidPackage"),
    ("bid leveling for the electrical bids", "showBidLeveling"),
    ("invite a sub to bid on the package", "createBid"),
    ("send an ITB to the plumbing sub", "createBid"),
    ("who has not answered the bid invitation", "listBidPackageBids"),
    ("update the bid amount from the mechanical sub", "updateBid"),
    ("bid forms of the concrete package", "listBidForms"),
    ("bids we were invited to", "listCompanyBids"),
    ("contacts to invite to bid", "listBidContacts"),
    ("bid board", "listBidBoardProjects"),
    ("add a job to the bid board", "createBidBoardProject"),
    ("mark the bid board project as won", "updateBidBoardProject"),
    ("estimate proposals for this project", "listEstimatingProposals"),
    ("estimate line items", "listEstimatingLineItems"),
    ("clone an estimate on the bid board", "cloneBidBoardProject"),
    # Workforce planning.
    ("crew assignments for next week", "listWorkforceAssignments"),
    ("labor schedule for the hospital project", "listWorkforceProjectAssignments"),
    ("where is this person assigned next week", "listWorkforcePersonAssignments"),
    ("add a new hire to workforce planning", "createWorkforcePerson"),
    ("request more workers for a project", "createWorkforceResourceRequest"),
    ("record vacation for a worker", "createWorkforceTimeOff"),
    ("expiring certifications", "showWorkforceTagActionReport"),
    ("who is available next month", "showWorkforceLookAheadReport"),
    # Coordination issues and BIM.
    ("open clashes", "listCoordinationIssues"),
    ("report a clash between the duct and the beam", "createCoordinationIssue"),
    ("change the status of a coordination issue", "updateCoordinationIssueStatus"),
    ("assign the clash to the mechanical sub", "assignCoordinationIssue"),
    ("BIM models", "listBimModels"),
    ("model viewpoints of a coordination issue", "listCoordinationIssueViewpoints"),
    ("coordination issue totals by status", "showCoordinationIssueStatusTotals"),
    # RFQs, invoices and change orders.
    ("RFQs out for pricing", "listRfqs"),
    ("send an RFQ to the electrician", "createRfq"),
    ("quotes received on an RFQ", "listRfqQuotes"),
    ("delete a draft pay app", "deleteRequisition"),
    ("schedule of values on the sub invoice", "listRequisitionDetail"),
    ("requisition change history", "listRequisitionChangeHistory"),
    ("create a CCO for the extra footing", "createCommitmentChangeOrder"),
    ("create a prime contract change order", "createPrimeChangeOrder"),
    ("line items of a commitment change order", "listCommitmentChangeOrderLineItems"),
    ("change order requests", "listChangeOrderRequests"),
    ("new potential change order", "createPotentialChangeOrder"),
    # Insurance, instructions and templates.
    ("expired COIs across all subs", "listCompanyInsurances"),
    ("add a certificate of insurance for a vendor", "createCompanyVendorInsurance"),
    ("site instructions", "listInstructions"),
    ("record an architect's instruction", "createInstruction"),
    ("permission templates", "listCompanyPermissionTemplates"),
    ("meeting templates", "listMeetingTemplates"),
    ("create a checklist template for the company", "createCompanyInspectionTemplate"),
]


def _ranks(installed_package: Path, fake_procore: FakeProcore) -> tuple[list[int], list[str]]:
    async def body(client: Client) -> Any:
        names = {}
        for query, _ in EVERYDAY:
            found = await client.call_tool("search_operations", {"query": query, "limit": 3})
            names[query] = [r["name"] for r in found.structured_content["results"]]
        return names

    found = run_session(installed_package, fake_procore, body)
    ranks: list[int] = []
    misses: list[str] = []
    by_operation = _names_by_operation(installed_package)
    for query, operation_id in EVERYDAY:
        meant = by_operation[operation_id]
        rank = found[query].index(meant) + 1 if meant in found[query] else 0
        ranks.append(rank)
        if rank != 1:
            misses.append(f"{rank or 'not in the top 3'}: {query!r} meant {meant}, found {found[query]}")
    return ranks, misses


def _names_by_operation(installed_package: Path) -> dict[str, str]:
    tools = json.loads((installed_package / "procore_mcp" / "tools.json").read_text(encoding="utf-8"))["tools"]
    return {entry["binding"]["operationId"]: entry["definition"]["name"] for entry in tools}


def test_everyday_queries_find_the_operation_meant(installed_package: Path, fake_procore: FakeProcore) -> None:
    assert len(EVERYDAY) >= 60
    ranks, misses = _ranks(installed_package, fake_procore)
    assert all(ranks), "\n".join(misses)
    first = sum(rank == 1 for rank in ranks)
    assert first >= 0.9 * len(EVERYDAY), f"first for {first} of {len(EVERYDAY)}:\n" + "\n".join(misses)
