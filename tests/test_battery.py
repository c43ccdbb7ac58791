# ruff: noqa: E501 — test node ids are kept whole, one per line, to be grepped and copied
"""The map of docs/reliability.md §4: each case of the battery and the tests that prove it.

Every case of the battery has a test that passes, or a measurement. ``BATTERY`` maps every
case number to the test functions that prove it (a parametrized test by its function name); the
load cases #56 and #57 are measured by benchmark scripts (``MEASURED``); #58 is a test. A
test is listed only for what it proves, read test by test; a test proving part of a case is listed
only when the other tests of the case prove the rest.

This module checks the map itself: every case 1–67 is proven or measured, and every listed test
exists (its file is read, not run: no pytest inside pytest).
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = range(1, 76)

R = "tests/registry/"
M = "tests/monitoring/"
P = "tests/reports/"
B = "tests/battery/"
PEOPLE = R + "test_people_views.py"
PAIRS = R + "test_mentorship_views.py"
ORGS = R + "test_organization_views.py"
REGIONAL = R + "test_regional_views.py"
ADMIN = R + "test_admin.py"
IMPORT = R + "test_workbook_import.py"
SAFETY = R + "test_workbook_safety.py"
WB_VIEWS = R + "test_workbook_views.py"
PDF = P + "test_pdf_safety.py"
REPORT_VIEWS = P + "test_report_views.py"
PORTAL = "tests/test_portal_views.py"
MATRIX = B + "test_access_matrix.py"
EXPORTS = B + "test_exports.py"
INPUT = B + "test_import_input.py"
RENDERING = B + "test_rendering.py"

BATTERY: dict[int, list[str]] = {
    # ---------------------------------------------------------------- A. access control
    2: [
        PEOPLE + "::test_posted_organization_and_municipality_are_ignored",
        PEOPLE + "::test_posted_organization_is_ignored_on_edit",
        PAIRS + "::test_a_posted_organization_is_ignored",
        ORGS + "::test_a_document_ignores_the_organization_sent_in_the_form",
        ORGS + "::test_headcount_ignores_the_organization_sent_in_the_form",
        REGIONAL + "::test_posted_organization_and_status_are_ignored",
    ],
    3: [
        MATRIX + "::test_list_pages_and_search_give_exactly_the_scope",
        MATRIX + "::test_pair_list_pages_give_exactly_the_scope",
        MATRIX + "::test_admin_sorting_search_paging_and_autocomplete_stay_in_scope",
        PEOPLE + "::test_lists_answer_every_signed_in_user_with_its_own_rows",
        PAIRS + "::test_each_role_lists_exactly_its_scope",
        PORTAL + "::test_organization_list_shows_exactly_the_scope",
        PORTAL + "::test_organization_search_stays_in_scope",
        REGIONAL + "::test_practice_list_shows_exactly_the_scope",
        REGIONAL + "::test_methodist_list_shows_exactly_the_scope",
        M + "test_roadmap_views.py::test_the_list_shows_exactly_the_maps_of_the_users_territory",
        REPORT_VIEWS + "::test_the_list_shows_the_reports_of_the_users_territory",
    ],
    4: [
        PAIRS + "::test_the_form_has_the_design_labels_and_offers_only_fitting_people",
        PAIRS + "::test_an_out_of_scope_mentor_posted_by_hand_is_refused",
        PAIRS + "::test_an_out_of_scope_mentee_posted_by_hand_is_refused",
        PAIRS + "::test_org_org_refuses_another_mentor_organization_or_a_far_mentee",
        ADMIN + "::test_the_mentor_choices_leave_out_people_outside_the_scope",
        ADMIN + "::test_a_mentee_outside_the_scope_is_refused",
        REGIONAL + "::test_pair_choices_are_the_curators_school_only",
        REGIONAL + "::test_pair_of_another_school_posted_by_hand_is_refused",
        REGIONAL + "::test_entry_of_another_regions_organization_posted_by_hand_is_refused",
        ORGS + "::test_municipality_choices_are_scoped",
    ],
    5: [
        PORTAL + "::test_stranger_gets_404_for_a_school_card",
        PORTAL + "::test_wider_scope_opens_the_school_card",
        ORGS + "::test_coordinator_reads_the_card_and_the_file_but_writes_nothing",
        M + "test_campaign_views.py::test_who_may_open_what",
        M + "test_campaign_views.py::test_out_of_scope_pages_say_nothing_about_the_campaign",
        M + "test_roadmap_views.py::test_a_map_opens_within_the_territory_and_is_404_outside",
    ],
    6: [
        PORTAL + "::test_operator_of_another_region_gets_404",
        PEOPLE + "::test_unknown_parameters_do_not_widen_the_list",
        PAIRS + "::test_wider_roles_filter_by_organization_and_municipality",
        PAIRS + "::test_a_curator_cannot_widen_the_list_with_parameters",
        ORGS + "::test_coordinator_filters_stay_in_the_municipality",
        WB_VIEWS + "::test_an_admin_exports_a_municipality",
        REPORT_VIEWS + "::test_a_region_report_is_rendered_by_the_worker_with_its_progress",
        REPORT_VIEWS + "::test_coordinator_cannot_name_another_municipality_or_its_road_map",
        REPORT_VIEWS + "::test_another_municipalitys_report_does_not_exist_for_strangers",
    ],
    7: [
        MATRIX + "::test_every_url_sends_an_anonymous_visitor_to_login",
        MATRIX + "::test_each_role_gets_exactly_what_the_table_of_pages_allows",
        MATRIX + "::test_every_url_has_its_row_in_the_table_of_pages",
        M + "test_campaign_views.py::test_the_matrix_covers_every_campaign_url",
        M + "test_campaign_views.py::test_who_may_open_what",
        REGIONAL + "::test_the_matrix_covers_every_url_of_the_module",
        REGIONAL + "::test_access_matrix",
        PEOPLE + "::test_strangers_get_404_on_card_edit_and_archive",
        PEOPLE + "::test_read_only_roles_get_403_on_add_edit_and_archive",
        PAIRS + "::test_strangers_get_404_for_every_pair_page",
        PAIRS + "::test_readers_open_the_list_and_card_but_get_403_on_every_write",
        ORGS + "::test_strangers_get_404_on_the_card_the_file_and_every_write",
        WB_VIEWS + "::test_roles_see_what_their_role_allows",
    ],
    8: [
        ADMIN + "::test_a_staff_curator_sees_only_their_school",
        ADMIN + "::test_a_coordinator_sees_only_people_of_their_municipality",
        ADMIN + "::test_a_coordinator_gets_404_for_a_person_of_another_municipality",
        ADMIN + "::test_only_admins_manage_users_and_scopes",
        M + "test_roadmaps.py::test_the_admin_is_scoped",
        MATRIX + "::test_admin_sorting_search_paging_and_autocomplete_stay_in_scope",
        EXPORTS + "::test_the_admin_export_and_import_need_the_admins_right",
    ],
    9: [
        EXPORTS + "::test_a_scoped_user_imports_nothing_through_the_admin",
        EXPORTS + "::test_the_admin_export_and_import_need_the_admins_right",
        WB_VIEWS + "::test_only_admins_upload",
        WB_VIEWS + "::test_the_admin_offers_the_workbook_resources_to_admins_only",
    ],
    10: [
        IMPORT + "::test_the_same_natural_key_in_another_school_is_another_person",
        R + "test_registry_models.py::test_the_same_person_may_stand_in_two_organizations",
    ],
    11: [
        MATRIX + "::test_a_curator_moved_to_another_school_gets_its_scope_on_the_next_request",
        MATRIX + "::test_a_deactivated_users_live_session_goes_to_login",
        R + "test_access.py::test_moving_a_curator_changes_the_scope_at_once",
        R + "test_access.py::test_inactive_user_sees_nothing",
    ],
    13: [
        PEOPLE + "::test_student_personal_data_are_shown_to_the_curator_only",
        PEOPLE + "::test_student_personal_data_are_not_in_the_coordinator_list",
        PEOPLE + "::test_export_respects_the_scope_and_hides_personal_data_above_the_school",
        PEOPLE + "::test_history_hides_contact_values_above_the_school",
        PEOPLE + "::test_a_visiting_person_personal_data_stay_with_their_own_school",
        PAIRS + "::test_pupils_names_stay_at_school",
        ADMIN + "::test_staff_above_the_school_see_no_birth_date_or_contacts_on_the_person_form",
        REGIONAL + "::test_student_names_of_a_pair_are_shown_to_the_curator_only",
        REGIONAL + "::test_public_page_lists_published_practices_without_personal_data",
        EXPORTS + "::test_the_workbook_export_is_for_the_curator_and_the_admin",
    ],
    14: [
        EXPORTS + "::test_the_admin_export_and_import_need_the_admins_right",
        EXPORTS + "::test_the_workbook_export_is_for_the_curator_and_the_admin",
        PEOPLE + "::test_export_has_the_rows_of_the_filtered_list",
        PEOPLE + "::test_export_respects_the_scope_and_hides_personal_data_above_the_school",
        PAIRS + "::test_export_has_the_rows_of_the_filtered_scoped_list",
        ORGS + "::test_export_respects_scope_and_filters",
        REGIONAL + "::test_practice_export_equals_the_list",
        WB_VIEWS + "::test_a_curator_exports_only_its_own_school",
        R + "test_workbook_export.py::test_one_municipality_exports_nothing_of_another",
        M + "test_events_sheet.py::test_the_export_follows_the_scope",
    ],
    # ---------------------------------------------------------------- B. bad input
    18: [
        IMPORT + "::test_a_missing_required_header_is_named",
        IMPORT + "::test_a_misspelt_header_is_named_with_a_suggestion",
        IMPORT + "::test_an_unknown_column_is_refused",
        IMPORT + "::test_a_header_on_row_3_is_refused",
        IMPORT + "::test_a_title_above_the_header_is_refused",
        IMPORT + "::test_reordered_headers_in_any_case_and_spacing_are_accepted",
    ],
    19: [IMPORT + "::test_merged_cells_in_the_data_area_are_refused"],
    20: [
        IMPORT + "::test_formula_cells_are_refused_with_their_cell",
        SAFETY + "::test_formulas_with_and_without_cached_values_shared_and_array_formulas",
    ],
    21: [
        IMPORT + "::test_rows_hidden_in_excel_are_imported",
        INPUT + "::test_the_dry_run_counts_hidden_and_filtered_rows",
    ],
    22: [
        INPUT + "::test_a_row_after_a_long_blank_stretch_is_read_and_trailing_formatting_ignored",
        IMPORT + "::test_blank_rows_are_skipped_and_error_rows_still_match_excel",
        SAFETY + "::test_trailing_formatted_empty_rows_to_the_last_excel_row_do_not_count",
    ],
    23: [
        IMPORT + "::test_text_dates_and_real_excel_dates_are_both_accepted",
        IMPORT + "::test_a_date_that_is_not_dd_mm_yyyy_is_refused_never_guessed",
        IMPORT + "::test_an_impossible_date_is_refused",
        IMPORT + "::test_a_number_in_a_date_column_is_refused",
        IMPORT + "::test_a_1904_date_system_workbook_gives_the_right_dates",
    ],
    25: [IMPORT + "::test_a_duplicate_person_within_a_sheet_names_both_excel_rows"],
    26: [IMPORT + "::test_reimporting_the_same_file_changes_nothing"],
    27: [IMPORT + "::test_three_corrected_values_are_three_updates_and_three_history_rows"],
    28: [
        INPUT + "::test_a_million_rows_are_refused_up_front_in_flat_memory",
        SAFETY + "::test_sheet_over_the_default_row_limit_is_refused_early",
        SAFETY + "::test_row_limit_counts_data_rows_under_the_header",
    ],
    29: [
        INPUT + "::test_a_sheet_expanding_to_a_gigabyte_is_refused_fast_in_little_memory",
        INPUT + "::test_thousands_of_entries_are_refused_fast_in_little_memory",
        SAFETY + "::test_zip_bomb_by_compression_ratio_is_refused_fast_before_decompressing",
        SAFETY + "::test_declared_unpacked_size_over_the_limit",
        SAFETY + "::test_bytes_actually_decompressed_are_counted_too",
        SAFETY + "::test_too_many_zip_entries",
    ],
    30: [
        SAFETY + "::test_billion_laughs_in_shared_strings",
        SAFETY + "::test_external_entity_in_a_sheet",
        SAFETY + "::test_doctype_hidden_after_a_long_comment_or_in_utf16",
        SAFETY + "::test_defusedxml_is_active_for_openpyxl",
    ],
    31: [SAFETY + "::test_old_xls_renamed_to_xlsx"],
    32: [
        SAFETY + "::test_csv_or_text_renamed_to_xlsx",
        SAFETY + "::test_pdf_renamed_to_xlsx",
        SAFETY + "::test_binary_file_renamed_to_xlsx",
        SAFETY + "::test_docx_ods_and_other_archives_renamed_to_xlsx",
        SAFETY + "::test_empty_file",
        SAFETY + "::test_truncated_xlsx_is_reported_as_damaged",
        WB_VIEWS + "::test_a_file_that_is_not_a_workbook_is_refused_before_parsing",
    ],
    33: [
        SAFETY + "::test_xlsm_with_a_vba_project",
        SAFETY + "::test_macro_enabled_content_type_without_a_vba_project",
        SAFETY + "::test_excel4_macro_sheet",
        SAFETY + "::test_links_to_other_workbooks",
        SAFETY + "::test_password_encrypted_workbook",
    ],
    34: [
        IMPORT + "::test_a_cyrillic_look_alike_in_a_code_is_refused",
        IMPORT + "::test_a_latin_letter_inside_a_cyrillic_name_is_refused",
        IMPORT + "::test_a_zero_width_space_is_refused",
        IMPORT + "::test_nbsp_and_double_spaces_are_normalised",
        IMPORT + "::test_two_stored_people_the_import_cannot_tell_apart_are_named_not_guessed",
        R + "test_workbook_fast_paths.py::test_mixed_alphabets_are_found_within_a_word",
    ],
    36: [
        INPUT + "::test_only_the_registry_sheets_are_read_hidden_or_not",
        INPUT + "::test_a_book_without_a_registry_sheet_is_refused",
    ],
    37: [
        IMPORT + "::test_a_32767_character_cell_is_refused",
        IMPORT + "::test_a_text_over_the_column_limit_is_refused",
        IMPORT + "::test_a_zero_width_space_is_refused",
        R
        + "test_workbook_export.py::test_formula_looking_text_is_written_as_text_and_imports_back_as_it_was",
        EXPORTS + "::test_every_list_download_writes_formula_looking_text_as_text",
    ],
    38: [
        SAFETY + "::test_file_over_the_upload_limit_is_refused_without_reading_it",
        SAFETY + "::test_default_upload_limit_is_ten_megabytes",
        WB_VIEWS + "::test_an_upload_over_the_limit_is_refused_unread",
        WB_VIEWS + "::test_a_file_just_over_the_limit_is_recorded_as_refused",
        ORGS + "::test_a_file_over_10_mb_is_refused",
        INPUT + "::test_an_upload_over_the_limit_leaves_no_temporary_or_stored_file",
    ],
    40: [
        RENDERING + "::test_orm_keyword_injection_in_the_query_string_is_ignored",
        PEOPLE + "::test_unknown_parameters_do_not_widen_the_list",
        PORTAL + "::test_organization_list_ignores_unknown_filter_parameters",
        PAIRS + "::test_an_unknown_filter_value_is_an_error_not_everything",
        PAIRS + "::test_a_curator_cannot_widen_the_list_with_parameters",
        PAIRS + "::test_the_edit_service_refuses_fields_outside_its_allow_list",
    ],
    # ---------------------------------------------------------------- C. rendering
    41: [
        PDF + "::test_escaped_hostile_text_is_literal_and_fetches_nothing",
        PDF + "::test_attachment_detection_sees_a_real_attachment",
        PDF + "::test_unescaped_hostile_resources_are_blocked",
        P + "test_report_building.py::test_hostile_event_title_is_text_in_html_pdf_and_docx",
    ],
    42: [
        PDF + "::test_fetcher_refuses",
        PDF + "::test_fetcher_never_opens_http_even_on_loopback",
        PDF + "::test_symlink_out_of_the_static_dir_is_refused",
        PDF + "::test_unescaped_hostile_resources_are_blocked",
        PDF + "::test_allowed_static_file_is_fetched",
    ],
    43: [
        RENDERING + "::test_a_region_report_of_twenty_thousand_rows_is_refused_at_once",
        REPORT_VIEWS + "::test_a_region_report_is_rendered_by_the_worker_with_its_progress",
        REPORT_VIEWS + "::test_a_report_too_large_for_a_file_is_refused_in_russian",
        P + "test_report_building.py::test_too_large_is_refused_with_a_russian_message",
    ],
    45: [
        PDF + "::test_cyrillic_renders_with_embedded_dejavu",
        PDF + "::test_content_disposition_cyrillic_round_trip",
        PDF + "::test_content_disposition_strips_injection",
        "tests/test_pdf_stack.py::test_weasyprint_renders_cyrillic_text",
        ORGS + "::test_the_file_is_downloaded_as_a_private_attachment_with_a_russian_name",
    ],
    46: [
        PDF + "::test_metadata_title_author_dates_and_no_host_or_path",
        REPORT_VIEWS + "::test_a_municipal_reports_files_are_rendered_in_the_request",
        R + "test_exports.py::test_response_is_private_and_named_in_russian",
        ORGS + "::test_the_file_is_downloaded_as_a_private_attachment_with_a_russian_name",
        REGIONAL + "::test_file_is_served_under_a_server_chosen_name",
        WB_VIEWS + "::test_a_curator_exports_only_its_own_school",
        MATRIX + "::test_every_url_sends_an_anonymous_visitor_to_login",
    ],
    # ---------------------------------------------------------------- E. concurrency
    53: [
        PAIRS + "::test_the_second_of_two_curators_is_told_the_pair_changed",
        PAIRS + "::test_a_stale_completion_changes_nothing",
        R + "test_mentorship_rules.py::test_the_second_of_two_concurrent_edits_is_told_to_reload",
        PEOPLE + "::test_edit_made_by_someone_else_meanwhile_is_not_overwritten",
        ORGS + "::test_a_save_since_the_form_was_opened_is_a_conflict",
    ],
    55: [
        M + "test_campaigns.py::test_a_submission_racing_the_close_is_refused",
        M + "test_campaigns.py::test_nothing_is_sent_after_the_close",
    ],
    # ---------------------------------------------------------------- G. audit
    59: [
        B + "test_history_lint.py::test_the_lint_finds_a_raw_write_on_an_audited_model",
        B + "test_history_lint.py::test_no_raw_write_on_audited_models_outside_the_allowed_helpers",
        B + "test_history_lint.py::test_allowed_raw_writes_touch_only_fields_the_history_leaves_out",
        B + "test_history.py::test_the_admins_change_and_delete_of_a_person_write_history",
        B + "test_history.py::test_opening_a_campaign_writes_the_history_of_its_submissions_and_answers",
        B + "test_history.py::test_a_reminder_writes_a_history_row",
        PEOPLE + "::test_curator_adds_a_mentor_to_own_school",
        PEOPLE + "::test_curator_edits_person_and_base_fields_with_history",
        PEOPLE + "::test_archive_and_restore_are_dated_and_kept_in_history",
        PAIRS + "::test_curator_edits_a_pair_and_the_history_says_who_and_what",
        R + "test_mentorship_rules.py::test_history_records_who_changed_a_pair",
        IMPORT + "::test_three_corrected_values_are_three_updates_and_three_history_rows",
        R + "test_workbook_fast_paths.py::test_copy_writes_the_rows_and_history_rows_that_the_orm_writes",
    ],
}

SEC = "tests/test_security.py"
AUDIT = "tests/test_audit.py"
ERRORS = "tests/test_error_pages.py"
SETTINGS = "tests/test_settings.py"
PRIVACY = R + "test_privacy.py"
FAULTS = "tests/faults/"
DEPLOY = "tests/deploy/"

# Cases built after the map above was drawn (security, audit, personal data, faults,
# deploy); merged into BATTERY below.
LATER: dict[int, list[str]] = {
    1: [
        AUDIT + "::test_a_curator_of_another_school_gets_404_and_authz_denied_is_logged",
        AUDIT + "::test_an_unknown_id_is_a_refusal_too",
        PEOPLE + "::test_strangers_get_404_on_card_edit_and_archive",
        PEOPLE + "::test_curator_of_the_neighbour_school_gets_404",
        PAIRS + "::test_strangers_get_404_for_every_pair_page",
        PAIRS + "::test_strangers_cannot_act_on_a_pair",
        ORGS + "::test_strangers_get_404_on_the_card_the_file_and_every_write",
    ],
    # People, pairs, imports and report files have random UUIDs; documents, practices, contests,
    # courses, methodists, road maps, campaigns and reports keep integer ids, which a stranger
    # walking them meets only as 404s (and as authz_denied entries of the access log).
    12: [
        MATRIX + "::test_people_and_pairs_are_addressed_by_random_uuids",
        MATRIX + "::test_walking_ids_gives_a_stranger_only_404",
        PEOPLE + "::test_malformed_id_is_404",
        PAIRS + "::test_a_malformed_or_unknown_id_is_404",
        AUDIT + "::test_an_unknown_id_is_a_refusal_too",
    ],
    15: [
        SEC + "::test_ten_failed_logins_lock_the_username_from_that_address_and_every_attempt_is_logged",
        SEC + "::test_a_success_before_the_limit_forgets_the_failures",
        SEC + "::test_the_proxy_header_names_the_client_only_when_configured",
        SEC + "::test_login_rotates_the_session_key",
        SEC + "::test_logout_kills_the_session_on_the_server",
        SEC + "::test_the_session_cookie_is_httponly_lax_and_ends_after_twelve_hours",
        SEC + "::test_an_idle_session_ends_after_its_roles_limit",
        SEC + "::test_the_activity_cookie_counts_only_for_its_own_session_and_unforged",
        SEC + "::test_the_idle_clock_starts_at_login",
        SETTINGS + "::test_production_settings_are_the_secure_ones",
    ],
    16: [
        SEC + "::test_an_admin_signed_in_by_password_alone_reaches_neither_admin_nor_import",
        SEC + "::test_a_totp_code_verifies_the_session_and_opens_admin_and_import",
        SEC + "::test_an_admin_without_a_device_is_told_how_to_get_one",
        SEC + "::test_a_user_made_admin_after_signing_in_needs_the_code_for_admin_and_import",
        SEC + "::test_the_admin_site_itself_refuses_an_unverified_admin",
        SEC + "::test_add_totp_device_prints_a_secret_that_makes_working_codes",
        SEC + "::test_the_demo_admins_backup_codes_work_once_and_a_reseed_restores_them",
    ],
    17: [
        SEC + "::test_a_post_without_a_csrf_token_is_refused_by_every_view",
        SEC + "::test_confirming_a_real_import_without_a_token_is_refused_and_changes_nothing",
    ],
    24: [
        IMPORT + "::test_a_birth_date_in_the_future_is_refused",
        IMPORT + "::test_a_student_younger_than_10_is_refused",
        IMPORT + "::test_a_pupil_older_than_19_on_the_consent_date_is_refused",
        PEOPLE + "::test_student_younger_than_10_is_refused_next_to_the_birth_date",
        PEOPLE + "::test_a_pupil_older_than_19_is_refused_next_to_the_birth_date",
        R + "test_registry_models.py::test_a_birth_date_in_the_future_is_refused",
    ],
    35: [
        IMPORT + "::test_a_code_stored_as_a_number_is_refused",
        IMPORT + "::test_a_phone_stored_as_a_number_is_refused_and_a_typed_one_kept",
        R + "test_workbook_fast_paths.py::test_a_code_with_a_cyrillic_letter_names_it",
    ],
    39: [
        RENDERING + "::test_markup_typed_into_a_form_is_stored_as_text_and_shown_escaped",
        RENDERING + "::test_an_rtl_override_typed_into_a_form_never_reaches_a_page_active",
        "tests/test_form_text.py::test_every_form_of_the_portal_refuses_invisible_characters",
        "tests/test_form_text.py::test_a_pair_goal_with_an_rtl_override_is_refused_next_to_the_field_and_nothing_changes",
        PORTAL + "::test_names_are_escaped_on_the_card",
        M + "test_roadmap_views.py::test_text_is_escaped",
        REPORT_VIEWS + "::test_a_script_in_the_conclusions_is_text_on_the_page_and_in_the_html_file",
        P + "test_report_building.py::test_hostile_event_title_is_text_in_html_pdf_and_docx",
        P + "test_charts.py::test_svg_escapes_markup_in_labels",
        P + "test_docx.py::test_markup_is_escaped_in_the_xml",
    ],
    44: [
        EXPORTS + "::test_every_list_download_writes_formula_looking_text_as_text",
        EXPORTS + "::test_the_workbook_export_writes_formula_looking_text_as_text",
        EXPORTS + "::test_the_admin_export_writes_formula_looking_text_as_text",
        R + "test_exports.py::test_text_that_looks_like_a_formula_is_written_as_text",
        R
        + "test_workbook_export.py::test_formula_looking_text_is_written_as_text_and_imports_back_as_it_was",
    ],
    47: [
        FAULTS
        + "test_import_connection_lost.py::test_connection_lost_mid_import_fails_the_job_saves_nothing_and_a_rerun_succeeds"
    ],
    48: [
        R
        + "test_import_worker.py::test_worker_killed_mid_import_commits_nothing_and_a_retry_imports_every_row_once",
        FAULTS
        + "test_report_worker_killed.py::test_worker_killed_mid_report_leaves_nothing_and_the_file_is_rendered_again",
    ],
    49: [
        FAULTS + "test_disk_full.py::test_uploads_onto_a_full_disk_are_refused_cleanly_and_logged",
        FAULTS + "test_report_disk_full.py::test_a_report_file_that_does_not_fit_on_the_disk_fails_cleanly",
        FAULTS + "test_fault_pages.py::test_a_write_to_a_full_device_is_recognised_as_a_full_disk",
    ],
    50: [
        FAULTS
        + "test_postgres_restart.py::test_postgres_restart_gives_a_russian_503_and_the_portal_recovers_by_itself",
        FAULTS + "test_fault_pages.py::test_a_database_error_in_a_view_becomes_a_generic_503",
        FAULTS
        + "test_fault_pages.py::test_503_page_is_russian_standalone_and_needs_no_inline_style_or_script",
    ],
    51: [
        DEPLOY
        + "test_restore_drill.py::test_backup_restores_into_an_empty_database_with_the_same_rows_and_contents",
        DEPLOY + "test_restore_drill.py::test_a_damaged_backup_is_refused_before_anything_is_restored",
    ],
    52: [
        FAULTS
        + "test_concurrent_imports.py::test_two_overlapping_imports_at_once_leave_no_duplicates_and_count_right"
    ],
    54: [
        FAULTS
        + "test_concurrent_imports.py::test_two_overlapping_imports_at_once_leave_no_duplicates_and_count_right",
        IMPORT + "::test_overlapping_files_imported_one_after_the_other_make_no_duplicates",
    ],
    60: [
        AUDIT + "::test_a_card_view_writes_who_when_what_and_where_with_ids_only",
        AUDIT + "::test_pair_and_organization_cards_are_logged",
        AUDIT + "::test_exports_are_logged",
        AUDIT + "::test_a_report_download_is_logged",
        AUDIT + "::test_an_import_upload_and_its_confirmation_are_logged",
        AUDIT + "::test_a_403_and_a_csrf_failure_are_logged",
        AUDIT + "::test_login_failed_login_and_logout_are_logged",
        AUDIT + "::test_every_view_that_answers_with_a_file_is_audited",
        AUDIT + "::test_admins_read_the_log_with_filters_and_nobody_edits_it",
    ],
    61: [
        AUDIT + "::test_the_database_refuses_update_and_delete_of_log_rows",
        AUDIT + "::test_postgresql_refuses_truncate_of_the_log",
        AUDIT + "::test_the_apps_least_privilege_role_gets_permission_denied",
    ],
    62: [
        ERRORS + "::test_a_path_with_control_characters_stays_on_one_encoded_line",
        ERRORS + "::test_an_audit_entry_for_a_forged_code_is_one_line_too",
        ERRORS + "::test_the_development_server_lines_go_through_the_same_formatter",
        AUDIT + "::test_a_code_with_control_characters_is_stored_escaped",
    ],
    63: [
        PRIVACY + "::test_destruction_wipes_the_live_row_and_its_history_and_logs_the_act",
        PRIVACY + "::test_a_person_in_an_active_pair_is_not_destroyed",
        PRIVACY + "::test_destruction_needs_the_act_and_the_tick",
        PRIVACY + "::test_destruction_access",
        PRIVACY + "::test_one_person_export_holds_his_data_and_nobody_elses",
        PRIVACY + "::test_the_mentors_export_names_his_course_and_his_mentees_by_id_only",
        PRIVACY + "::test_one_person_export_access",
    ],
    64: [
        ERRORS + "::test_a_500_shows_a_request_id_and_nothing_internal_and_is_logged_with_it",
        ERRORS + "::test_a_404_out_of_scope_shows_no_personal_data",
        ERRORS + "::test_a_403_shows_the_russian_page_and_no_internals",
    ],
    65: [
        SETTINGS + "::test_deploy_check_passes_with_production_settings",
        SETTINGS + "::test_production_settings_are_the_secure_ones",
        SETTINGS + "::test_production_refuses_a_weak_secret_key",
    ],
    66: [
        "tests/test_dependencies.py::test_installed_and_pinned_versions_include_the_fix",
        "tests/test_dependencies.py::test_openpyxl_parses_workbooks_through_defusedxml",
        SETTINGS + "::test_the_portal_does_not_start_without_defusedxml",
        SETTINGS + "::test_the_startup_check_names_openpyxl_without_defusedxml",
    ],
    58: [
        FAULTS + "test_report_queue.py::test_ten_pdfs_at_once_render_two_at_a_time_and_other_pages_stay_fast"
    ],
    67: [
        SEC + "::test_no_template_or_static_file_loads_anything_from_another_host",
        SEC + "::test_no_setting_sends_errors_or_mail_to_a_foreign_service_by_default",
    ],
}
BATTERY.update({case: BATTERY.get(case, []) + tests for case, tests in LATER.items()})

# The second battery (docs/reliability.md §5): the classes of attack an outside probe broke, #68–#75.
WB_PROBE = B + "test_workbook_probe.py"
STORED = B + "test_stored_text.py"
FUZZ = B + "test_filter_fuzz.py"
SPRAY = B + "test_spraying.py"
EXPORT_JOBS = B + "test_export_jobs.py"
RENDERS = B + "test_report_renders.py"
SECOND: dict[int, list[str]] = {
    68: [
        WB_PROBE + "::test_a_cell_right_of_the_table_is_refused_naming_sheet_and_cell",
        WB_PROBE + "::test_a_cell_far_down_after_a_gap_is_refused_in_any_order",
        WB_PROBE + "::test_a_value_far_down_before_the_header_is_refused_naming_its_cell",
        WB_PROBE + "::test_a_far_reference_written_with_spaces_and_single_quotes_is_found",
        WB_PROBE + "::test_cells_without_a_reference_are_placed_like_excel_places_them",
        WB_PROBE + "::test_the_wide_sheet_is_refused_by_the_upload_the_worker_and_the_command",
        WB_PROBE + "::test_the_wide_sheet_is_refused_in_flat_memory",
        WB_PROBE + "::test_the_largest_rectangle_the_limits_let_through_reads_in_bounded_memory_and_time",
        WB_PROBE + "::test_a_lying_dimension_spans_and_col_ranges_allocate_nothing_and_the_book_imports",
        WB_PROBE + "::test_the_admin_import_reads_cells_not_the_declared_dimension",
    ],
    69: [
        STORED + "::test_the_admin_add_form_refuses_a_hidden_character_at_the_field",
        STORED + "::test_the_admin_change_form_refuses_a_hidden_character_in_a_school_name",
        STORED + "::test_an_admin_inline_refuses_a_hidden_character_at_its_field",
        STORED + "::test_the_admin_refuses_a_hidden_character_in_a_persons_position",
        STORED + "::test_the_admins_workbook_import_refuses_a_hidden_character_naming_the_column",
        STORED + "::test_the_validator_an_api_would_use_says_the_same",
        STORED + "::test_c1_controls_separators_and_bidi_marks_are_refused_like_the_rest",
        STORED + "::test_list_exports_leave_a_stored_hidden_character_out_and_log_where",
        STORED + "::test_the_one_person_export_leaves_a_stored_hidden_character_out",
        STORED + "::test_the_regional_workbook_export_leaves_a_stored_hidden_character_out",
        STORED + "::test_the_admins_export_leaves_a_stored_hidden_character_out",
        STORED + "::test_report_files_leave_a_stored_hidden_character_out",
        STORED + "::test_a_pdf_report_renders_with_stored_hidden_characters",
        STORED + "::test_a_report_built_from_stored_hidden_characters_downloads_without_them",
    ],
    70: [
        FUZZ + "::test_every_page_with_an_object_is_classified",
        FUZZ + "::test_portal_page_survives_hostile_filter_values",
        FUZZ + "::test_admin_changelist_survives_hostile_filter_values",
        FUZZ + "::test_a_year_out_of_range_is_a_note_and_the_list_unfiltered",
        FUZZ + "::test_a_municipality_id_out_of_range_in_the_people_list_is_refused_in_russian",
        FUZZ + "::test_a_headcount_year_out_of_range_opens_the_current_year",
        FUZZ + "::test_the_admins_date_hierarchy_out_of_range_is_a_note_and_the_list_unfiltered",
        FUZZ + "::test_every_model_admin_refuses_out_of_range_values_the_same_way",
    ],
    71: [
        SPRAY
        + "::test_one_address_spraying_thirty_names_is_slowed_then_locked_while_another_address_signs_in",
        SPRAY + "::test_a_school_behind_one_nat_address_with_a_few_typos_is_never_refused",
        SPRAY + "::test_a_successful_login_does_not_reset_the_address_count_of_other_names",
        SPRAY + "::test_case_variants_of_one_name_count_as_one_name",
        SPRAY + "::test_the_addresses_of_one_ipv6_64_count_together_and_another_64_is_free",
        SPRAY + "::test_a_forged_forwarded_for_does_not_change_the_counted_address",
        SPRAY + "::test_the_admin_login_and_the_second_factor_step_are_refused_from_a_locked_address",
        SPRAY + "::test_wrong_second_factor_codes_alone_slow_the_address",
        SPRAY + "::test_what_the_throttle_counts_by",
    ],
    72: [
        WB_PROBE + "::test_an_active_part_is_refused_by_its_type_wherever_it_lies",
        WB_PROBE
        + "::test_an_external_link_outside_its_folder_is_refused_by_the_upload_the_worker_and_the_command",
        WB_PROBE + "::test_a_book_with_a_web_hyperlink_and_an_ordinary_dimension_still_imports",
        WB_PROBE + "::test_the_admin_import_refuses_what_the_portal_refuses",
    ],
    73: [
        EXPORT_JOBS + "::test_a_long_list_is_queued_and_the_worker_writes_the_rows_of_the_inline_export",
        EXPORT_JOBS + "::test_the_people_list_goes_to_the_worker_too",
        EXPORT_JOBS + "::test_a_list_that_gives_no_count_is_measured_by_its_rows",
        EXPORT_JOBS + "::test_the_task_worker_runs_the_queued_export",
        EXPORT_JOBS + "::test_nobody_but_the_owner_sees_the_job_or_its_file",
        EXPORT_JOBS + "::test_the_worker_reads_the_scope_again_not_the_one_at_the_click",
        EXPORT_JOBS + "::test_a_job_of_a_deactivated_account_is_not_written",
        EXPORT_JOBS + "::test_the_export_beyond_the_users_limit_is_refused_and_nothing_is_queued",
        EXPORT_JOBS + "::test_abandoned_jobs_are_reaped_and_finished_files_expire",
        EXPORT_JOBS + "::test_the_worker_reports_its_progress_row_by_row",
        EXPORT_JOBS + "::test_a_large_registry_workbook_is_written_by_the_worker_too",
    ],
    74: [
        RENDERS + "::test_twenty_clicks_on_an_unchanged_draft_render_it_once",
        RENDERS + "::test_a_changed_text_renders_anew_and_the_old_text_is_the_old_file",
        RENDERS + "::test_over_the_render_limit_the_answer_is_429_in_russian_and_nothing_is_rendered",
        RENDERS + "::test_a_file_already_rendered_is_given_beyond_the_limit",
        RENDERS + "::test_over_the_limit_a_region_report_is_not_queued",
        RENDERS + "::test_a_published_versions_file_is_limited_too",
        RENDERS + "::test_identical_clicks_at_once_render_once",
    ],
    75: [
        B
        + "test_error_log.py::test_each_500_is_logged_with_its_traceback_under_its_request_id_and_the_page_shows_none"
    ],
}
BATTERY.update(SECOND)

# The load cases are measured, not asserted: a benchmark run prints figures against the target
# (bench/load/README.md).
MEASURED: dict[int, str] = {
    56: "bench/load/wrk.sh",
    57: "bench/load/run.sh",
}


def _functions(path: Path) -> set[str]:
    """Test functions of a file, top-level and ``Class::method``."""
    names = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names |= {
                f"{node.name}::{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            }
    return names


def _all_listed():
    for source in (BATTERY,):
        for case, node_ids in source.items():
            for node_id in node_ids:
                yield case, node_id


def test_every_case_is_proven_or_measured():
    assert set(BATTERY) | set(MEASURED) == set(CASES)
    assert all(BATTERY[case] for case in BATTERY), "a case of BATTERY without a test"
    assert all((ROOT / script).is_file() for script in MEASURED.values())


def test_every_listed_test_exists():
    missing = []
    functions = {}
    for case, node_id in _all_listed():
        file_name, _, name = node_id.partition("::")
        path = ROOT / file_name
        assert name.startswith("test_") or "::test_" in name, node_id
        if not path.is_file():
            missing.append((case, node_id, "no such file"))
            continue
        if path not in functions:
            functions[path] = _functions(path)
        if name not in functions[path]:
            missing.append((case, node_id, "no such test"))
    assert missing == []


def test_a_case_listed_is_named_by_the_battery_module_that_proves_it():
    """The battery's own modules say in their docstrings which cases they prove: the map agrees."""
    docstrings = {}
    for case, node_id in _all_listed():
        file_name = node_id.partition("::")[0]
        if not file_name.startswith(B):
            continue
        if file_name not in docstrings:
            docstrings[file_name] = ast.get_docstring(
                ast.parse((ROOT / file_name).read_text(encoding="utf-8"))
            )
        named = {int(n) for n in re.findall(r"#(\d+)", docstrings[file_name] or "")}
        assert case in named, f"{node_id} is listed for #{case}, which its module does not name"


def test_no_test_is_listed_twice_for_one_case():
    for case, node_ids in BATTERY.items():
        assert len(node_ids) == len(set(node_ids)), case


def test_the_docs_list_every_case_with_the_tests_of_the_map():
    """docs/reliability.md has a section per case naming exactly the tests the map lists for it."""
    text = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    sections = dict(re.findall(r"^#### #(\d+)\n(.*?)(?=^#### #|^## |\Z)", text, flags=re.M | re.S))
    assert {int(n) for n in sections} == set(CASES)
    for case, node_ids in BATTERY.items():
        listed = set(re.findall(r"^- `(tests/[^`]+)`", sections[str(case)], flags=re.M))
        assert listed == set(node_ids), f"#{case}: docs/reliability.md and BATTERY differ"
