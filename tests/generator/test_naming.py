"""Tool names and titles."""

from __future__ import annotations

from generator.naming import limit_name, snake_case, split_words, title_case, unique_names


def test_snake_case_from_summary_and_operation_ids() -> None:
    assert snake_case("Get or Refresh an Access Token") == "get_or_refresh_an_access_token"
    assert snake_case("RestV10ProjectsGet") == "rest_v10_projects_get"
    assert snake_case("listRFIsForProject") == "list_rfis_for_project"
    assert split_words("HTTPServer-name_x") == ["http", "server", "name", "x"]


def test_title_case_keeps_minor_words_and_acronyms() -> None:
    assert title_case("Get or refresh an access token") == "Get or Refresh an Access Token"
    assert title_case("list RFIs in a project") == "List RFIs in a Project"
    assert title_case("show the v1.0 budget of") == "Show the v1.0 Budget Of"


def test_names_are_cut_at_word_boundaries() -> None:
    long = "_".join(["word"] * 20)
    cut = limit_name(long)
    assert len(cut) <= 64
    assert not cut.endswith("_") and cut.split("_") == ["word"] * len(cut.split("_"))


def test_clashes_are_told_apart_by_version_then_parent() -> None:
    names = unique_names(
        [
            ("list_projects", "get", "/rest/v1.0/projects"),
            ("list_projects", "get", "/rest/v2.0/companies/{company_id}/projects"),
            ("list_users", "get", "/rest/v1.0/projects/{project_id}/users"),
            ("list_users", "get", "/rest/v1.0/companies/{company_id}/users"),
            ("other", "get", "/other"),
        ]
    )
    assert names == [
        "list_v1_0_projects",  # a version goes after the verb: no name ends in a number
        "list_v2_0_projects",
        "list_users_in_projects",
        "list_users_in_companies",
        "other",
    ]
    assert all(len(name) <= 64 for name in names)


def test_identical_operations_still_get_unique_names_that_end_in_a_word() -> None:
    names = unique_names([("same", "get", "/a"), ("same", "get", "/a"), ("same", "get", "/a")])
    assert names == ["same", "same_second", "same_third"]


def test_operations_told_apart_only_by_their_paths_are_named_by_them() -> None:
    names = unique_names([("list_users", "get", "/users/{id}/x"), ("list_users", "get", "/users/{user_id}/x")])
    assert len(set(names)) == 2 and not any(name[-1].isdigit() for name in names)
