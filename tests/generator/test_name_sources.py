"""Where tool names and titles come from: a short summary, a worded operationId, the description, the route."""

from __future__ import annotations

import pytest

from generator.name_sources import choose, from_operation_id, from_summary, plain_text, product_words, title_from
from generator.naming import shorten_names, unique_names


def _name(summary: str, operation_id: str = "", method: str = "get", path: str = "/x", description: str = "") -> str:
    return "_".join(choose(summary, operation_id, method, path, description).words)


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        ("List RFIs in a project", "list_rfis_in_project"),
        ("Creates an envelope.", "create_envelope"),  # a third-person verb in its base form
        ("Returns a list of your SetupIntents.", "list_your_setup_intents"),
        ("Gets a list of a user's social accounts.", "list_user_social_accounts"),
    ],
)
def test_a_short_verb_phrase_summary_names_the_tool(summary: str, expected: str) -> None:
    assert _name(summary, "ignoredId") == expected


@pytest.mark.parametrize(
    ("summary", "title"),
    [
        ("Returns a list of your coupons.", "List Your Coupons"),
        ("Get List of Segments", "List Segments"),
        ("List a list of all webhooks", "List Webhooks"),
        ("Gets the full list of invoices", "List Invoices"),
        ("Creates an envelope.", "Create an Envelope"),
        ("List RFIs in a project", "List RFIs in a Project"),
    ],
)
def test_a_summary_that_returns_a_list_of_things_is_titled_as_it_is_named(summary: str, title: str) -> None:
    """The title says the list once, as the name does (not "List a List of Your Coupons")."""
    source = from_summary(summary)
    assert source is not None
    assert title_from(source, list(source.words), summary) == title


@pytest.mark.parametrize(
    "summary",
    [
        "NOTE: This Endpoint Requires an [admin API Key](../admin-api-keys)",  # markup, a link, a sentence
        "Delete an invite. If the invite has already been accepted, it cannot be deleted.",  # two sentences
        "This endpoint lists the things that belong to the account of the signed-in user",  # starts like a sentence
        "v3 Mail Send",  # a route's words
    ],
)
def test_a_summary_that_is_a_sentence_is_not_a_name(summary: str) -> None:
    assert from_summary(summary) is None


@pytest.mark.parametrize(
    ("operation_id", "method", "path", "expected"),
    [
        ("createResponse", "post", "/responses", "create_response"),
        ("FetchSigningKey", "get", "/keys/{id}", "fetch_signing_key"),
        ("users.list", "get", "/users.list", "list_users"),
        ("chat.postMessage", "post", "/chat.postMessage", "post_chat_message"),
        ("Envelopes_PostEnvelopes", "post", "/v2/envelopes", "post_envelopes"),
        ("list-admin-keys", "get", "/organization/admin_api_keys", "list_admin_keys"),
    ],
)
def test_a_worded_operation_id_names_the_tool(operation_id: str, method: str, path: str, expected: str) -> None:
    found = from_operation_id(operation_id, method, path)
    assert found is not None and "_".join(found.words) == expected


@pytest.mark.parametrize(
    ("operation_id", "method", "path"),
    [
        ("RestV10ProjectsGet", "get", "/rest/v1.0/projects"),
        ("read_items_items__item_id__get", "get", "/items/{item_id}"),
        ("GetProductsId", "get", "/v1/products/{id}"),
        ("post-v3-send_ips-pools", "post", "/v3/send_ips/pools"),
    ],
)
def test_an_operation_id_that_spells_out_the_route_is_not_a_name(operation_id: str, method: str, path: str) -> None:
    assert from_operation_id(operation_id, method, path) is None


def test_without_a_worded_source_the_description_then_the_route_names_the_tool() -> None:
    described = "<p>Retrieves the details of an existing product. Supply the unique product ID.</p>"
    assert _name("", "GetProductsId", "get", "/v1/products/{id}", described) == ("retrieve_details_of_existing_product")
    assert _name("", "GetProducts", "get", "/v1/products") == "list_products"
    assert _name("", "", "delete", "/rest/v1.0/projects/{id}") == "delete_project"  # one record: singular
    assert _name("", "", "get", "/companies/{company_id}/users") == "list_company_users"
    assert _name("", "", "post", "/v3/mail/send") == "send_mail"  # the path's last word is the verb
    assert _name("", "", "put", "/files/{file_id}#add_shared_link") == "add_shared_link_file"


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("get", "/generic_tools/{generic_tool_id}/generic_tool_items", "list_generic_tool_items"),
        ("delete", "/checklist/items/{item_id}/item_response", "delete_checklist_item_response"),
        ("get", "/action_plans/plans", "list_action_plans"),
        ("get", "/change_events/{id}/change_event_lines", "list_change_event_lines"),
        ("post", "/segments/{segment_id}/segment_items/bulk_destroy", "bulk_destroy_segment_items"),
        ("get", "/send_ips/ips/{ip}/subusers", "list_send_ips_subusers"),
        ("get", "/companies/{company_id}/users", "list_company_users"),  # no words repeated: all of them
    ],
)
def test_words_a_path_segment_repeats_from_the_one_before_are_said_once(method: str, path: str, expected: str) -> None:
    assert _name("", "", method, path) == expected


def test_titles_are_plain_text_title_case_without_a_full_stop() -> None:
    assert plain_text("**NOTE:** see [the guide](../g) and `code` <b>now</b>") == "NOTE: see the guide and code now"
    source = choose("List RFIs in a project.", "", "get", "/x")
    assert title_from(source, list(source.words), "List RFIs in a project.") == "List RFIs in a Project"
    sentence = "Gets List of Recurring and Usage Charges for the Account."
    source = choose(sentence, "", "get", "/x")
    assert title_from(source, list(source.words), sentence) == "Get List of Recurring and Usage Charges for the Account"
    source = choose("", "listRFIsForProject", "get", "/x")
    assert title_from(source, list(source.words)) == "List RFIs for Project"
    long = choose("", "x" * 30 + "Thing" * 20, "get", "/x")
    assert len(title_from(long, list(long.words))) <= 80


def test_clashes_are_told_apart_by_words_never_by_a_number() -> None:
    names = unique_names(
        [
            ("add_shared_link", "put", "/files/{file_id}#add_shared_link", "a"),
            ("add_shared_link", "put", "/folders/{folder_id}#add_shared_link", "b"),
            ("get_item", "get", "/items/{id}", "getItem"),
            ("get_item", "get", "/items/{id}/children", "getItemChildren"),
        ]
    )
    assert names == ["add_shared_link_files", "add_shared_link_folders", "get_item", "get_item_children"]


def test_long_names_shrink_to_48_characters_while_they_stay_unique() -> None:
    names = [
        "replace_core_v1_namespaced_persistent_volume_claim_status",
        "replace_core_v1_namespaced_persistent_volume_status",
        "list_core_v1_namespaced_pod",
        "move_company_action_plan_template_into_published_v1_0",
        "move_company_action_plan_template_into_published_v1_1",
    ]
    short = shorten_names(names, keep=set(), aim=48)
    assert all(len(name) <= 48 for name in short) and len(set(short)) == len(short)
    assert short[2] == "list_core_v1_namespaced_pod", "a short name is left alone"
    assert short[3].endswith("_v1_0") and short[4].endswith("_v1_1"), "a version goes whole or not at all"
    assert shorten_names(names, keep={0}, aim=48)[0] == names[0], "a name the config chose is kept"


def test_a_long_name_loses_its_closing_scope_whole() -> None:
    names = ["update_action_plans_plan_template_item_assignees_in_company", "list_rfis_in_project"]
    # Not `..._assignees_company`: the scope word alone would read as what the tool is about.
    assert shorten_names(names, keep=set(), aim=48) == ["update_action_plans_plan_template_item_assignees", names[1]]
    taken = [*names, "update_action_plans_plan_template_item_assignees"]  # when that clashes, other words go
    first = shorten_names(taken, keep=set(), aim=48)[0]
    assert len(first) <= 48 and first != taken[2] and first.startswith("update_")


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        ("Show the signed-in user", "show_signed_in_user"),
        ("List all of the users in the organization", "list_all_users_in_organization"),
        ("Create an installation access token for an app", "create_installation_access_token_for_app"),
    ],
)
def test_names_never_carry_articles(summary: str, expected: str) -> None:
    source = choose(summary, "", "get", "/x")
    assert "_".join(source.words) == expected


@pytest.mark.parametrize(
    ("method", "path", "expected", "title"),
    [
        ("get", "/drives/{drive-id}/bundles/$count", "count_drive_bundles", "Count Drive Bundles"),
        ("get", "/users/{id}/photo/$value", "get_user_photo_content", "Get User Photo Content"),
        ("delete", "/groups/{id}/members/{member-id}/$ref", "remove_group_members_reference", ""),
        ("post", "/groups/{id}/owners/$ref", "add_group_owners_reference", ""),
    ],
)
def test_odata_segments_become_words_and_name_the_resource(method: str, path: str, expected: str, title: str) -> None:
    source = choose("Get the number of the resource", "", method, path)
    assert "_".join(source.words) == expected
    if title:
        assert title_from(source, list(source.words), "Get the number of the resource") == title


def test_compound_product_words_stay_whole() -> None:
    products = product_words(["GitHub Apps", "Create a GitHub app", "Get by ExternalId"], {"ExternalId"})
    assert products == frozenset({"github"})
    source = choose("", "createGitHubAppInstallation", "post", "/apps", products=products)
    assert source.words == ("create", "github", "app", "installation")
