// Generated from the cloud's /openapi.json by console/scripts/gen-api.mjs. Do not edit:
// change the Rust types, then run `npm run gen:api`.
export interface paths {
    "/open311/v2/requests.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Open311 GeoReport v2: service requests of a jurisdiction (status open/closed; x_workflow_status) */
        get: operations["get_open311_v2_requests_json"];
        put?: never;
        /** Open311 GeoReport v2: file a request (form; api_key = an app session token) */
        post: operations["post_open311_v2_requests_json"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/open311/v2/requests/{request_file}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Open311 GeoReport v2: one request ({id}.json) */
        get: operations["get_open311_v2_requests_request_file"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/open311/v2/services.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Open311 GeoReport v2: services (one per minor case category); ?jurisdiction_id=<community id> */
        get: operations["get_open311_v2_services_json"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This API's OpenAPI 3.1 document */
        get: operations["get_openapi_json"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/app/address-applications": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Apply for one more address */
        post: operations["post_v1_app_address_applications"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/app/attachments": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Upload a photo for a report from the app (?community_id= for non-residents) */
        post: operations["post_v1_app_attachments"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/app/cases": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Report a case from the app (residents: in their community) */
        post: operations["post_v1_app_cases"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/app/cases/mine": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Cases I reported, with their state */
        get: operations["get_v1_app_cases_mine"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/app/notifications": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** My notifications, newest first */
        get: operations["get_v1_app_notifications"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/app/onetap": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Open the nearest door I may pass */
        post: operations["post_v1_app_onetap"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/app/signup": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Create an app account (visitor, enterprise, or resident already registered by staff) */
        post: operations["post_v1_app_signup"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/app/suggestions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Send a suggestion to one's community */
        post: operations["post_v1_app_suggestions"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/app/visits": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Ask to visit a resident (host's phone, time, reason) */
        post: operations["post_v1_app_visits"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/app/visits/{visit_id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Visitor or host cancels a visit */
        post: operations["post_v1_app_visits_visit_id_cancel"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/app/visits/{visit_id}/decide": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Host approves or refuses a visit */
        post: operations["post_v1_app_visits_visit_id_decide"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/app/visits/hosting": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** My visitors (as host), with state */
        get: operations["get_v1_app_visits_hosting"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/app/visits/mine": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** My visits (as visitor), with state */
        get: operations["get_v1_app_visits_mine"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Log in with user name and password; returns a session token */
        post: operations["post_v1_auth_login"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/auth/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** End this session (bearer token or console cookie) */
        post: operations["post_v1_auth_logout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/address-applications": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Multi-address applications for rooms in this community */
        get: operations["get_v1_communities_community_id_address_applications"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/address-applications/{application_id}/decide": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Approve or refuse an address application within this community */
        post: operations["post_v1_communities_community_id_address_applications_application_id_decide"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/alarm-events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Alarm transitions as boxes reported them, newest first, filtered and paginated */
        get: operations["get_v1_communities_community_id_alarm_events"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/alarms": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Alarms (one per device and type until closed), newest first; filter by status, kind, severity, place, time */
        get: operations["get_v1_communities_community_id_alarms"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/alarms/{alarm_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One alarm with its whole history */
        get: operations["get_v1_communities_community_id_alarms_alarm_id"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/alarms/{alarm_id}/ack": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Acknowledge an alarm with a comment (who and when are recorded; the box hears of it) */
        post: operations["post_v1_communities_community_id_alarms_alarm_id_ack"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/alarms/{alarm_id}/case": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Turn an alarm into a case in one call (linked to it) */
        post: operations["post_v1_communities_community_id_alarms_alarm_id_case"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/alarms/{alarm_id}/clear": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Clear an alarm by hand with a comment */
        post: operations["post_v1_communities_community_id_alarms_alarm_id_clear"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/alarms/feed": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Live feed of this community's alarm changes (server-sent events named `alarms`; ids only) */
        get: operations["get_v1_communities_community_id_alarms_feed"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/attachments": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Upload a file for a case (raw body; Content-Type image/jpeg, image/png or application/pdf; ?name=) */
        post: operations["post_v1_communities_community_id_attachments"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/attachments/{attachment_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Download an uploaded file */
        get: operations["get_v1_communities_community_id_attachments_attachment_id"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/boxes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List edge boxes */
        get: operations["get_v1_communities_community_id_boxes"];
        put?: never;
        /** Register an edge box for an estate; returns a one-time provisioning code */
        post: operations["post_v1_communities_community_id_boxes"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/boxes/{box_id}/code": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** A new one-time code for a box not yet provisioned */
        post: operations["post_v1_communities_community_id_boxes_box_id_code"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/boxes/{box_id}/config": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A box's configuration (Modbus devices, door wiring, face doors, cameras): the newest revision set here, and what the box reports it runs, with the reason if it refused the revision */
        get: operations["get_v1_communities_community_id_boxes_box_id_config"];
        /** Set a box's configuration ({expected_revision, sections}); the box checks it as it checks its file and applies or refuses it on its next sync. 409 revision_conflict if it changed since expected_revision */
        put: operations["put_v1_communities_community_id_boxes_box_id_config"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/boxes/{box_id}/revoke": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Revoke an edge box: its requests are refused from now on */
        post: operations["post_v1_communities_community_id_boxes_box_id_revoke"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/buildings/{building_id}/units": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Add a unit to a building */
        post: operations["post_v1_communities_community_id_buildings_building_id_units"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/case-categories": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The case category tree (major → middle → minor) */
        get: operations["get_v1_communities_community_id_case_categories"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/case-workers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The accounts that can appear in this community's cases (its staff and case workers, street-wide ones, street admins): names for ids, and whom to dispatch or assign to */
        get: operations["get_v1_communities_community_id_case_workers"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/cases": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Case lists (view = all, pending, finished, co_handling, dispatch, mine, self_handled, supervision) with filters, newest first, keyset pages */
        get: operations["get_v1_communities_community_id_cases"];
        put?: never;
        /** Report a case (staff, seat operators, field staff; the source must suit the role) */
        post: operations["post_v1_communities_community_id_cases"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/cases/{case_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One case with its whole history and the operations the caller may start */
        get: operations["get_v1_communities_community_id_cases_case_id"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/cases/{case_id}/duplicates": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Open cases this one may repeat, ranked, with the signals that matched */
        get: operations["get_v1_communities_community_id_cases_case_id_duplicates"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/cases/{case_id}/export.docx": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One case as a Word document: details, pictures, full history */
        get: operations["get_v1_communities_community_id_cases_case_id_export_docx"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/cases/{case_id}/ops": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** One workflow operation ({"op": "file" | "void" | "assign" | …}) */
        post: operations["post_v1_communities_community_id_cases_case_id_ops"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/cases/{case_id}/print": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One case as a print-friendly HTML page */
        get: operations["get_v1_communities_community_id_cases_case_id_print"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/cases/export.xlsx": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A case list (same views and filters) as a spreadsheet */
        get: operations["get_v1_communities_community_id_cases_export_xlsx"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/devices": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Devices with last state and last seen */
        get: operations["get_v1_communities_community_id_devices"];
        put?: never;
        /** Register a smoke detector or elevator on a box (the box learns it on its next sync) */
        post: operations["post_v1_communities_community_id_devices"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/devices/{device_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One device with its open alarms and latest records */
        get: operations["get_v1_communities_community_id_devices_device_id"];
        /** Move or re-describe a device */
        put: operations["put_v1_communities_community_id_devices_device_id"];
        post?: never;
        /** Remove a device (its box forgets it; history stays) */
        delete: operations["delete_v1_communities_community_id_devices_device_id"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/devices/{device_id}/records": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A device's maintenance and repair records, newest first */
        get: operations["get_v1_communities_community_id_devices_device_id_records"];
        put?: never;
        /** Add an elevator maintenance record or a repair record */
        post: operations["post_v1_communities_community_id_devices_device_id_records"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/devices/tree": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Devices grouped estate → building → unit */
        get: operations["get_v1_communities_community_id_devices_tree"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/doors": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List doors */
        get: operations["get_v1_communities_community_id_doors"];
        put?: never;
        /** Register a door on an edge box */
        post: operations["post_v1_communities_community_id_doors"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/doors/{door_id}/mode": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Set a door's mode (normal, held_open, locked, emergency_release) */
        put: operations["put_v1_communities_community_id_doors_door_id_mode"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/estates": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List estates */
        get: operations["get_v1_communities_community_id_estates"];
        put?: never;
        /** Create an estate */
        post: operations["post_v1_communities_community_id_estates"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/estates/{estate_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** An estate with its buildings, units and rooms */
        get: operations["get_v1_communities_community_id_estates_estate_id"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/estates/{estate_id}/buildings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Add a building to an estate */
        post: operations["post_v1_communities_community_id_estates_estate_id_buildings"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/face-photos": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Face review: photos with person, consent and each box's enrolment verdict (?status=&person_id=), newest first, keyset pages */
        get: operations["get_v1_communities_community_id_face_photos"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/face-photos/{photo_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One face photo with consent and enrolment verdicts */
        get: operations["get_v1_communities_community_id_face_photos_photo_id"];
        put?: never;
        post?: never;
        /** Delete a face photo: its bytes are removed, boxes drop it */
        delete: operations["delete_v1_communities_community_id_face_photos_photo_id"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/face-photos/{photo_id}/approve": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Approve a face photo (needs the person's consent: 409 consent_missing); boxes enrol it */
        post: operations["post_v1_communities_community_id_face_photos_photo_id_approve"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/face-photos/{photo_id}/image": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A face photo's bytes */
        get: operations["get_v1_communities_community_id_face_photos_photo_id_image"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/face-photos/{photo_id}/reject": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Reject a face photo with a note ({note}); boxes drop it if it was approved */
        post: operations["post_v1_communities_community_id_face_photos_photo_id_reject"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/face-settings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Face settings: thumbnail upload and retention (defaults when never saved) */
        get: operations["get_v1_communities_community_id_face_settings"];
        /** Change the face settings ({face_thumbnail_upload, face_thumbnail_retention_days 1..=365}); boxes follow on their next sync */
        put: operations["put_v1_communities_community_id_face_settings"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/grids": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List grids (case workers file cases by grid, so they read them too) */
        get: operations["get_v1_communities_community_id_grids"];
        put?: never;
        /** Create a grid (level 1, or 2/3 under a parent) */
        post: operations["post_v1_communities_community_id_grids"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/overview": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The home page's figures: open alarms by severity, pending/due-soon/overdue cases, passes since `since_ms`, boxes and devices offline */
        get: operations["get_v1_communities_community_id_overview"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/passes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Pass logs, newest first, filtered and paginated (has_thumbnail: a face thumbnail is kept) */
        get: operations["get_v1_communities_community_id_passes"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/passes/{pass_id}/thumbnail": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A face pass's thumbnail (image/jpeg) while the community keeps it (viewing is logged) */
        get: operations["get_v1_communities_community_id_passes_pass_id_thumbnail"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/people": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List people (ID numbers masked) */
        get: operations["get_v1_communities_community_id_people"];
        put?: never;
        /** Register a person */
        post: operations["post_v1_communities_community_id_people"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/people/{person_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One person with addresses (ID number masked unless street role asks reveal=true) */
        get: operations["get_v1_communities_community_id_people_person_id"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/people/{person_id}/activation": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** A one-time code with which the resident signs up in the app (7 days) */
        post: operations["post_v1_communities_community_id_people_person_id_activation"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/people/{person_id}/addresses": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Link a person to a room */
        post: operations["post_v1_communities_community_id_people_person_id_addresses"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/people/{person_id}/addresses/{room_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Remove a person's address (moving out) */
        delete: operations["delete_v1_communities_community_id_people_person_id_addresses_room_id"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/people/{person_id}/enabled": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Enable or disable a person's door rights (revocation reaches boxes on their next sync) */
        put: operations["put_v1_communities_community_id_people_person_id_enabled"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/people/{person_id}/face-consent": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Record a person's consent to face recognition ({given, note?}); withdrawing it makes boxes delete their templates on the next sync */
        put: operations["put_v1_communities_community_id_people_person_id_face_consent"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/people/{person_id}/face-photos": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Upload a face photo (raw body, Content-Type image/jpeg or image/png, at most 4 MiB); it waits for review */
        post: operations["post_v1_communities_community_id_people_person_id_face_photos"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/people/{person_id}/staff-rights": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The estates whose doors a person passes as staff */
        get: operations["get_v1_communities_community_id_people_person_id_staff_rights"];
        /** Set the estates whose doors a person passes as staff ({estate_ids}, the whole set); boxes of the estates gained and lost follow on their next sync */
        put: operations["put_v1_communities_community_id_people_person_id_staff_rights"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/suggestions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Residents' suggestions, newest first */
        get: operations["get_v1_communities_community_id_suggestions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/suggestions/{suggestion_id}/case": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Turn a suggestion into a case in one call (linked to it) */
        post: operations["post_v1_communities_community_id_suggestions_suggestion_id_case"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/units/{unit_id}/rooms": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Add a room to a unit */
        post: operations["post_v1_communities_community_id_units_unit_id_rooms"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/communities/{community_id}/visits": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Visitor appointments of this community, latest visit time first (hosts decide them in the app); names, phones, state with time applied */
        get: operations["get_v1_communities_community_id_visits"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/console/session": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The console's session (cookie only): account, CSRF token, communities it may work on */
        get: operations["get_v1_console_session"];
        put?: never;
        /** The console's login: sets an HttpOnly session cookie and answers the CSRF token for writes */
        post: operations["post_v1_console_session"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/edge/commands": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Long-poll for signed one-tap commands */
        get: operations["get_v1_edge_commands"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/edge/commands/outcome": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Report what a command did */
        post: operations["post_v1_edge_commands_outcome"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/edge/config/report": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** What configuration the box runs, and what it made of the last revision it was sent */
        post: operations["post_v1_edge_config_report"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/edge/face-photos/{photo_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A face photo this box was sent (approved, consent given, person with rights at the box's estate); 404 otherwise */
        get: operations["get_v1_edge_face_photos_photo_id"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/edge/provision": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** A box exchanges its one-time code and public key for its identity */
        post: operations["post_v1_edge_provision"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/edge/sync/down": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Directory changes after a cursor */
        get: operations["get_v1_edge_sync_down"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/edge/sync/up": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Upload pass logs, alarms, device states and face enrolment verdicts (idempotent by record id) */
        post: operations["post_v1_edge_sync_up"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness and database reachability */
        get: operations["get_v1_health"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The signed-in account */
        get: operations["get_v1_me"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/ready": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness: the database answers and carries every migration this build knows (503 otherwise) */
        get: operations["get_v1_ready"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/street/accounts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Staff accounts (not app accounts), oldest first; filter by name, role, community, enabled */
        get: operations["get_v1_street_accounts"];
        put?: never;
        /** Create a staff account */
        post: operations["post_v1_street_accounts"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/street/accounts/{account_id}/disable": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Disable an account and end its sessions */
        post: operations["post_v1_street_accounts_account_id_disable"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/street/address-applications": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Pending multi-address applications that cross communities */
        get: operations["get_v1_street_address_applications"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/street/address-applications/{application_id}/decide": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Approve or refuse a cross-community address application */
        post: operations["post_v1_street_address_applications_application_id_decide"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/street/case-categories": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Replace the case category tree */
        put: operations["put_v1_street_case_categories"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/street/communities": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List communities */
        get: operations["get_v1_street_communities"];
        put?: never;
        /** Create a community */
        post: operations["post_v1_street_communities"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/street/people/{person_id}/move": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Move a person to another community (their addresses stay behind) */
        post: operations["post_v1_street_people_person_id_move"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description The rule a route is declared with. */
        Access: "public" | "account" | "street" | "community" | "app" | "edge" | "cases";
        /** @description An account: who is signed in. */
        AccountV1: {
            /** @description Community staff: their community; residents: their home community. */
            community_id: string | null;
            id: string;
            /** @description App accounts: the person they are. */
            person_id: string | null;
            role: components["schemas"]["Role"];
        };
        /** @description A resident's one-time app activation code. */
        ActivationCodeV1: {
            activation_code: string;
            /** Format: int64 */
            expires_at_ms: number;
        };
        /** @description Who performs an operation; recorded as-is in the history entry. */
        Actor: {
            account_id: string;
            /**
             * @description The community of community staff (their scope); `None` for street-wide accounts.
             * @default null
             */
            community_id: string | null;
            role: components["schemas"]["CaseRole"];
        };
        /** @description A person linked to a room. */
        AddressAddedV1: {
            person_id: string;
            room_id: string;
        };
        /** @description One application for another address, as staff see it. */
        AddressApplicationV1: {
            community_id: string;
            /** Format: int64 */
            created_at_ms: number;
            /** @description The room was outside the applicant's home community when they applied. */
            crosses_community: boolean;
            id: string;
            /** @description The applicant's name. */
            name: string;
            person_id: string;
            room_id: string;
            /** @description pending | approved | refused */
            status: string;
        };
        AddressBody: {
            room_id: string;
        };
        /** @description A room a person lives in, with the estate, building and unit it belongs to. */
        AddressV1: {
            building_id: string;
            estate_id: string;
            /** @description The room's name. */
            room: string;
            room_id: string;
            unit_id: string;
        };
        /** @description One alarm event: a transition a box reported, or an acknowledgement or clear by staff. */
        AlarmEventV1: {
            /** Format: int64 */
            at_ms: number;
            box_id: string;
            /** @description The box's detail, or the staff's comment. */
            detail: string;
            estate_id: string;
            id: string;
            kind: string;
            /**
             * Format: int64
             * @description When the cloud received it.
             */
            received_at_ms: number;
            /** @description critical | major | minor | warning (empty on a clear) */
            severity: string;
            /** @description Door code, device id, or "box". */
            source: string;
            /**
             * @description The box's record state (`raised`, `updated`, `escalated`, `cleared`, `acked:<by>`), or
             *     `acked` / `cleared` by staff.
             */
            state: string;
        };
        /**
         * @description What the live feed says: `ready` once the console is subscribed (nothing published before it
         *     is missed after it), `changed` with the alarms to read again, `resync` when the console fell
         *     too far behind and must reload its list.
         */
        AlarmFeedEventV1: {
            /** @description The alarms that changed (`changed` only); read them through the scoped routes. */
            alarm_ids: string[];
            kind: components["schemas"]["AlarmFeedKindV1"];
        };
        /** @enum {string} */
        AlarmFeedKindV1: "ready" | "changed" | "resync";
        /** @description One event in an alarm's history: a transition from the box, or staff's ack or clear. */
        AlarmHistoryEntryV1: {
            /** @description The staff member's user name; `null` for the box's records. */
            actor: string | null;
            /** Format: int64 */
            at_ms: number;
            /** @description The box's detail, or the staff's comment. */
            detail: string;
            id: string;
            severity: string;
            /**
             * @description The box's record state (`raised`, `updated`, `escalated`, `cleared`, `acked:<by>`), or
             *     `acked` / `cleared` by staff.
             */
            state: string;
        };
        /** @description `POST /v1/app/address-applications` answers with the new application. */
        ApplicationPostedV1: {
            /** @description The room is outside the applicant's home community (a street account decides). */
            crosses_community: boolean;
            id: string;
            /** @description Always `pending`. */
            status: string;
        };
        /** @description An application's id and status once decided. */
        ApplicationStatusV1: {
            id: string;
            /** @description approved | refused */
            status: string;
        };
        ApplyBody: {
            room_id: string;
        };
        /** @description A handler, co-handler or inspector: which kind of unit, which unit, which account. */
        Assignee: {
            account_id: string;
            kind: components["schemas"]["UnitKind"];
            /**
             * @description The unit's name or id (department, bureau, committee…); may be empty for a person.
             * @default
             */
            unit: string;
        };
        /** @description A handler, co-handler or inspector: which kind of unit, which unit, which account. */
        AssigneeInput: {
            account_id: string;
            kind: components["schemas"]["UnitKind"];
            /**
             * @description The unit's name or id (department, bureau, committee…); may be empty for a person.
             * @default
             */
            unit: string;
        };
        /** @description A reference to a stored file (picture, document); the bytes live elsewhere. */
        AttachmentRef: {
            id: string;
            /** @default null */
            media_type: string | null;
            /** @default null */
            name: string | null;
        };
        /** @description A reference to a stored file (picture, document); the bytes live elsewhere. */
        AttachmentRefInput: {
            id: string;
            /** @default null */
            media_type: string | null;
            /** @default null */
            name: string | null;
        };
        /** @description An uploaded file; refer to it by `id` in a report or an operation. */
        AttachmentV1: {
            id: string;
            media_type: string;
            name: string;
            /** @description SHA-256 of the bytes, lower-case hex. */
            sha256: string;
            /** Format: int64 */
            size_bytes: number;
        };
        BoxBody: {
            estate_id: string;
            name: string;
        };
        /**
         * @description A new revision. `expected_revision` is the revision the editor started from (0 for none):
         *     if someone saved in between, the change is refused with 409 `revision_conflict`.
         */
        BoxConfigBody: {
            /** Format: int64 */
            expected_revision: number;
            sections: components["schemas"]["BoxSectionsV1Input"];
        };
        /** @description A box's configuration, as set in the cloud and as the box runs it. */
        BoxConfigViewV1: {
            box_id: string;
            /** @description What the box last said it runs; `null` until it has reported. */
            report: components["schemas"]["EdgeBoxConfigReportV1"] | null;
            /** Format: int64 */
            reported_at_ms: number | null;
            /**
             * Format: int64
             * @description The newest revision set in the cloud (0: none).
             */
            revision: number;
            /** @description Its sections; `null` when none was set. */
            sections: components["schemas"]["BoxSectionsV1"] | null;
            /** @description The software the box last said it runs. */
            software: string | null;
            /** @description file_only | pending | in_effect | refused */
            state: string;
            /** Format: int64 */
            updated_at_ms: number | null;
            updated_by: string | null;
        };
        /** @description An edge box just registered, with its one-time provisioning code. */
        BoxCreatedV1: {
            /** Format: int64 */
            code_expires_at_ms: number;
            estate_id: string;
            id: string;
            name: string;
            /** @description One-time code the box presents when it provisions itself. */
            provisioning_code: string;
        };
        /** @description The four sections, as staff set them or as a box runs them. */
        BoxSectionsV1: {
            /** @default [] */
            cameras: components["schemas"]["CameraV1"][];
            /** @default [] */
            devices: components["schemas"]["ModbusDeviceV1"][];
            /** @default [] */
            doors: components["schemas"]["DoorWiringV1"][];
            /** @default [] */
            face_doors: components["schemas"]["FaceDoorV1"][];
        };
        /** @description The four sections, as staff set them or as a box runs them. */
        BoxSectionsV1Input: {
            /** @default [] */
            cameras: components["schemas"]["CameraV1"][];
            /** @default [] */
            devices: components["schemas"]["ModbusDeviceV1"][];
            /** @default [] */
            doors: components["schemas"]["DoorWiringV1Input"][];
            /** @default [] */
            face_doors: components["schemas"]["FaceDoorV1"][];
        };
        /** @description An edge box as listed. */
        BoxV1: {
            estate_id: string;
            id: string;
            /**
             * Format: int64
             * @description When the box last talked to the cloud.
             */
            last_seen_ms: number | null;
            name: string;
            /** @description Whether the box is connected now. */
            online: boolean;
            /**
             * Format: int64
             * @description When the box provisioned itself; `null` if it has not yet.
             */
            provisioned_at_ms: number | null;
            revoked: boolean;
            /** @description The software the box last said it runs (e.g. `edge-daemon/0.1.0`). */
            software: string | null;
        };
        /** @description A building of an estate tree. */
        BuildingV1: {
            id: string;
            name: string;
            units: components["schemas"]["UnitV1"][];
        };
        /** @description A camera the box pulls snapshots from (`[[face.cameras]]`). */
        CameraV1: {
            /** @description The face door it watches. */
            door: string;
            /** Format: uint64 */
            interval_ms?: number | null;
            presence?: components["schemas"]["PresenceV1"] | null;
            snapshot_url: string;
            /** Format: uint64 */
            timeout_ms?: number | null;
        };
        /** @description One case with its whole history, oldest first. */
        CaseDetailV1: {
            /** @description The operations the caller may start now. */
            available_ops: components["schemas"]["OpKind"][];
            /** @default null */
            closure: components["schemas"]["Closure"] | null;
            /** @default [] */
            co_handlers: components["schemas"]["CoHandling"][];
            data: components["schemas"]["NewCase"];
            /** @default null */
            dispatch: components["schemas"]["DispatchTask"] | null;
            /** @default null */
            extension: components["schemas"]["ExtensionRequest"] | null;
            /**
             * Format: int64
             * @default null
             */
            filed_at_ms: number | null;
            /** @default null */
            handling: components["schemas"]["HandlingStage"] | null;
            history: components["schemas"]["HistoryEntry"][];
            id: string;
            /** @default null */
            inspection: components["schemas"]["InspectionStage"] | null;
            /** @description Human case number, see [`super::deadline::case_number`]. */
            number: string;
            /** Format: int64 */
            reported_at_ms: number;
            reported_by: components["schemas"]["Actor"];
            status: components["schemas"]["CaseStatus"];
            timeliness: components["schemas"]["TimelinessV1"];
            /** Format: int64 */
            updated_at_ms: number;
            /** Format: uint32 */
            version: number;
            /** @default null */
            void: components["schemas"]["VoidInfo"] | null;
        };
        /** @description What happened, with its data, as recorded in a history entry. Serde-tagged by `kind`. */
        CaseEvent: {
            /** @constant */
            kind: "reported";
            self_handled: boolean;
            source: components["schemas"]["Source"];
            supervision: boolean;
        } | {
            /** @constant */
            kind: "voided";
            reason: string;
        } | {
            /** @constant */
            kind: "marked_duplicate";
            note: string;
            of: components["schemas"]["CaseLink"];
        } | {
            candidates: components["schemas"]["DupMatch"][];
            /** @constant */
            kind: "filed";
            not_duplicate_reason: string | null;
        } | {
            closing_note: string;
            /** @constant */
            kind: "self_resolved";
            materials: components["schemas"]["AttachmentRef"][];
        } | {
            candidates: components["schemas"]["DupMatch"][];
            /** @constant */
            kind: "refiled";
            not_duplicate_reason: string | null;
            previous_void: components["schemas"]["VoidInfo"] | null;
            reason: string;
        } | {
            dispatcher: string;
            /** @constant */
            kind: "dispatched";
            note: string;
            previous: string | null;
        } | {
            co_handlers: components["schemas"]["Assignee"][];
            /** Format: int64 */
            deadline_ms: number;
            handler: components["schemas"]["Assignee"];
            /** @constant */
            kind: "assigned";
            requirements: string;
        } | {
            co_handler: components["schemas"]["Assignee"];
            /** @constant */
            kind: "co_handler_added";
        } | {
            from: components["schemas"]["Assignee"];
            /** @constant */
            kind: "reassigned";
            lapsed_extension: boolean;
            reason: string;
            stage: components["schemas"]["Stage"];
            to: components["schemas"]["Assignee"];
        } | {
            /** Format: int64 */
            current_deadline_ms: number;
            /** @constant */
            kind: "extension_requested";
            reason: string;
            stage: components["schemas"]["Stage"];
            /** Format: int64 */
            until_ms: number;
        } | {
            /** @constant */
            kind: "extension_approved";
            /** Format: int64 */
            new_deadline_ms: number;
            note: string;
            /** Format: int64 */
            old_deadline_ms: number;
            requested_by: string;
            stage: components["schemas"]["Stage"];
        } | {
            /** @constant */
            kind: "extension_refused";
            note: string;
            requested_by: string;
            stage: components["schemas"]["Stage"];
            /** Format: int64 */
            until_ms: number;
        } | {
            /** @constant */
            kind: "materials_added";
            materials: components["schemas"]["AttachmentRef"][];
            note: string;
        } | {
            /** @constant */
            kind: "handling_completed";
            lapsed_extension: boolean;
            /** @description Done after the handling deadline. */
            late: boolean;
            materials: components["schemas"]["AttachmentRef"][];
            note: string;
        } | {
            /** Format: int64 */
            deadline_ms: number;
            inspector: components["schemas"]["Assignee"];
            /** @constant */
            kind: "inspection_assigned";
            requirements: string;
        } | {
            evidence: components["schemas"]["AttachmentRef"][];
            /** @constant */
            kind: "evidence_submitted";
            note: string;
        } | {
            /** @description The failed inspection round, kept here since the case clears it. */
            inspection: components["schemas"]["InspectionStage"] | null;
            /** @constant */
            kind: "inspection_failed";
            lapsed_extension: boolean;
            reason: string;
        } | {
            closing_note: string;
            /** @constant */
            kind: "closed";
            lapsed_extension: boolean;
        };
        /**
         * @description 案件类型: an event (something happened) or a component (a piece of public equipment).
         * @enum {string}
         */
        CaseKind: "event" | "component";
        /** @description A case's link to another case. */
        CaseLink: {
            case_id: string;
            number: string;
        };
        /** @description One operation on an existing case, with its inputs. Serde-tagged by `op`. */
        CaseOp: {
            /** @constant */
            op: "void";
            reason: string;
        } | {
            /** @default  */
            note: string;
            of_case_id: string;
            of_number: string;
            /** @constant */
            op: "mark_duplicate";
        } | {
            /**
             * @default {
             *       "candidates": [],
             *       "not_duplicate_reason": null
             *     }
             */
            check: components["schemas"]["DuplicateCheck"];
            /** @constant */
            op: "file";
        } | {
            closing_note: string;
            materials: components["schemas"]["AttachmentRefInput"][];
            /** @constant */
            op: "self_resolve";
        } | {
            /**
             * @default {
             *       "candidates": [],
             *       "not_duplicate_reason": null
             *     }
             */
            check: components["schemas"]["DuplicateCheck"];
            /** @constant */
            op: "refile";
            reason: string;
        } | {
            dispatcher: string;
            /** @default  */
            note: string;
            /** @constant */
            op: "dispatch";
        } | {
            /** @default [] */
            co_handlers: components["schemas"]["AssigneeInput"][];
            /** Format: int64 */
            deadline_ms: number;
            handler: components["schemas"]["AssigneeInput"];
            /** @constant */
            op: "assign";
            requirements: string;
        } | {
            co_handler: components["schemas"]["AssigneeInput"];
            /** @constant */
            op: "add_co_handler";
        } | {
            /** @constant */
            op: "reassign";
            /** @default  */
            reason: string;
            to: components["schemas"]["AssigneeInput"];
        } | {
            /** @constant */
            op: "request_extension";
            reason: string;
            /** Format: int64 */
            until_ms: number;
        } | {
            approve: boolean;
            /** @default  */
            note: string;
            /** @constant */
            op: "decide_extension";
        } | {
            materials: components["schemas"]["AttachmentRefInput"][];
            /** @default  */
            note: string;
            /** @constant */
            op: "add_materials";
        } | {
            /** @default [] */
            materials: components["schemas"]["AttachmentRefInput"][];
            /** @default  */
            note: string;
            /** @constant */
            op: "complete_handling";
        } | {
            /** Format: int64 */
            deadline_ms: number;
            inspector: components["schemas"]["AssigneeInput"];
            /** @constant */
            op: "assign_inspection";
            requirements: string;
        } | {
            evidence: components["schemas"]["AttachmentRefInput"][];
            /** @default  */
            note: string;
            /** @constant */
            op: "submit_evidence";
        } | {
            /** @constant */
            op: "fail_inspection";
            reason: string;
        } | {
            closing_note: string;
            /** @constant */
            op: "close";
        };
        /**
         * @description Roles as the case workflow sees them. The account roles of [`crate::policy::Role`] map onto
         *     the first five; the others are back-office account kinds of §2.6 (seat operators, co-handlers,
         *     dispatchers), app-side staff (工作端) and the system itself (edge alarms, camera warnings).
         */
        CaseRole: ("street_admin" | "community_staff" | "resident" | "visitor" | "enterprise") | "field_staff" | "seat_operator" | "co_handler" | "dispatcher" | "system";
        /** @description A case in a list, from the index columns only. */
        CaseRowV1: {
            /** @description Who must act now. */
            assignee: string | null;
            /**
             * Format: int64
             * @description When it was reported.
             */
            at_ms: number;
            category: components["schemas"]["CategoryPath"];
            /**
             * Format: int64
             * @description The active deadline.
             */
            deadline_ms: number | null;
            grid: components["schemas"]["GridPath"];
            handler: string | null;
            handling_kind: components["schemas"]["UnitKind"] | null;
            handling_unit: string | null;
            id: string;
            /** @description The location as text. */
            location: string;
            number: string;
            problem: string;
            /** @description The reporting account. */
            reported_by: string;
            self_handled: boolean;
            source: components["schemas"]["Source"];
            status: components["schemas"]["CaseStatus"];
            supervision: boolean;
            timeliness: components["schemas"]["TimelinessV1"];
            /** Format: int64 */
            updated_at_ms: number;
        };
        /** @description The state of a case: exactly one at a time. */
        CaseStatus: "pending" | "filed" | "handling" | "inspection" | "closed" | "voided";
        /**
         * @description One case as the caller sees it: the whole case, its timeliness, and what the caller may do
         *     next (the answer to a report and to an operation).
         */
        CaseV1: {
            /** @description The operations the caller may start now. */
            available_ops: components["schemas"]["OpKind"][];
            /** @default null */
            closure: components["schemas"]["Closure"] | null;
            /** @default [] */
            co_handlers: components["schemas"]["CoHandling"][];
            data: components["schemas"]["NewCase"];
            /** @default null */
            dispatch: components["schemas"]["DispatchTask"] | null;
            /** @default null */
            extension: components["schemas"]["ExtensionRequest"] | null;
            /**
             * Format: int64
             * @default null
             */
            filed_at_ms: number | null;
            /** @default null */
            handling: components["schemas"]["HandlingStage"] | null;
            id: string;
            /** @default null */
            inspection: components["schemas"]["InspectionStage"] | null;
            /** @description Human case number, see [`super::deadline::case_number`]. */
            number: string;
            /** Format: int64 */
            reported_at_ms: number;
            reported_by: components["schemas"]["Actor"];
            status: components["schemas"]["CaseStatus"];
            timeliness: components["schemas"]["TimelinessV1"];
            /** Format: int64 */
            updated_at_ms: number;
            /** Format: uint32 */
            version: number;
            /** @default null */
            void: components["schemas"]["VoidInfo"] | null;
        };
        /** @description An account that can appear in a community's cases. */
        CaseWorkerV1: {
            /** @description `null` for street-wide accounts. */
            community_id: string | null;
            /** @description A disabled account still names its past work but takes no new work. */
            enabled: boolean;
            id: string;
            role: components["schemas"]["Role"];
            username: string;
        };
        /** @description One node of the category tree; majors hold middles, middles hold minors. */
        CategoryNode: {
            /** @default [] */
            children: components["schemas"]["CategoryNode"][];
            code: string;
            name: string;
        };
        /** @description One node of the category tree; majors hold middles, middles hold minors. */
        CategoryNodeInput: {
            /** @default [] */
            children: components["schemas"]["CategoryNodeInput"][];
            code: string;
            name: string;
        };
        /** @description A major → middle → minor category, by code. */
        CategoryPath: {
            major: string;
            middle: string;
            minor: string;
        };
        /** @description The configurable category tree (stored as configuration, edited by street admins). */
        CategoryTree: {
            majors: components["schemas"]["CategoryNodeInput"][];
        };
        Closure: {
            /** Format: int64 */
            at_ms: number;
            by: string;
            /** @default [] */
            materials: components["schemas"]["AttachmentRef"][];
            note: string;
            /**
             * @description True when the reporter resolved it alone; then `materials` holds their uploads.
             * @default false
             */
            self_resolved: boolean;
        };
        CoHandling: {
            /** Format: int64 */
            at_ms: number;
            by: string;
            who: components["schemas"]["Assignee"];
        };
        CommentBody: {
            /** @default  */
            comment: string;
        };
        /** @description A community by id and name. */
        CommunityRefV1: {
            id: string;
            name: string;
        };
        /** @description Why a box refused a revision: the field (as the box's config check names it) and the reason. */
        ConfigRefusalV1: {
            field: string;
            reason: string;
            /** Format: int64 */
            revision: number;
        };
        ConsentBody: {
            given: boolean;
            /** @default null */
            note: string | null;
        };
        /**
         * @description A console session (`POST /v1/console/session`): the session token itself is in an
         *     `HttpOnly` cookie; send `csrf_token` as the `X-CSRF-Token` header with every write.
         */
        ConsoleSessionV1: {
            account: components["schemas"]["AccountV1"];
            /** @description The communities this account may work on (one for community accounts). */
            communities: components["schemas"]["CommunityRefV1"][];
            csrf_token: string;
            /** Format: int64 */
            expires_at_ms: number;
            /**
             * @description The route classes (`x-access` in the API document) this account passes on those
             *     communities: the console builds its menu from them. The server checks every request
             *     anyway.
             */
            rights: components["schemas"]["Access"][];
            username: string;
        };
        DecideBody: {
            approve: boolean;
            /** @default null */
            note: string | null;
        };
        /** @description An open alarm of a device. */
        DeviceAlarmV1: {
            acked: boolean;
            active: boolean;
            /** Format: int64 */
            at_ms: number;
            id: string;
            kind: string;
            severity: string;
        };
        DeviceBody: {
            box_id: string;
            building_id: string;
            /** @description The id in the device's MQTT topics. */
            code: string;
            /**
             * Format: int64
             * @default null
             */
            floor: number | null;
            /** Format: uint32 */
            heartbeat_seconds: number;
            kind: string;
            name: string;
            profile: string;
            /** @default null */
            unit_id: string | null;
        };
        /** @description One device with its open alarms and its latest records. */
        DeviceDetailV1: {
            box_id: string;
            building_id: string;
            /** @description The id in the device's MQTT topics. */
            code: string;
            /** @description False once removed. */
            enabled: boolean;
            estate_id: string;
            /** Format: int64 */
            floor: number | null;
            /** Format: int64 */
            heartbeat_seconds: number;
            id: string;
            /** @description `smoke_detector` or `elevator`. */
            kind: string;
            /** Format: int64 */
            last_seen_ms: number | null;
            /**
             * @description The decoded points its box last reported (`{"smoke": false, "battery_percent": 87, …}`);
             *     `null` before the first report. Boxes of different versions report different points,
             *     so this is a flat map of point → scalar rather than a fixed struct.
             */
            last_state: {
                [key: string]: components["schemas"]["PointValueV1"];
            } | null;
            name: string;
            /** @description As its box last said; `null` before the box has reported it. */
            online: boolean | null;
            /** @description Newest first. */
            open_alarms: components["schemas"]["DeviceAlarmV1"][];
            profile: string;
            /** @description The latest 20, newest first. */
            records: components["schemas"]["DeviceRecordV1"][];
            unit_id: string | null;
        };
        /** @description A device in the tree, with how many open alarms it has. */
        DeviceInTreeV1: {
            box_id: string;
            building_id: string;
            /** @description The id in the device's MQTT topics. */
            code: string;
            /** @description False once removed. */
            enabled: boolean;
            estate_id: string;
            /** Format: int64 */
            floor: number | null;
            /** Format: int64 */
            heartbeat_seconds: number;
            id: string;
            /** @description `smoke_detector` or `elevator`. */
            kind: string;
            /** Format: int64 */
            last_seen_ms: number | null;
            /**
             * @description The decoded points its box last reported (`{"smoke": false, "battery_percent": 87, …}`);
             *     `null` before the first report. Boxes of different versions report different points,
             *     so this is a flat map of point → scalar rather than a fixed struct.
             */
            last_state: {
                [key: string]: components["schemas"]["PointValueV1"];
            } | null;
            name: string;
            /** @description As its box last said; `null` before the box has reported it. */
            online: boolean | null;
            /** Format: int64 */
            open_alarms: number;
            profile: string;
            unit_id: string | null;
        };
        /** @description `POST …/devices/{device_id}/records` answers with the record added. */
        DeviceRecordAddedV1: {
            /** @description The name of the account that recorded it. */
            by: string;
            content: string;
            device_id: string;
            /** Format: int64 */
            done_at_ms: number;
            id: string;
            /** @description `maintenance` or `repair`. */
            kind: string;
        };
        /** @description A maintenance or repair record of a device. */
        DeviceRecordV1: {
            /** @description The name of the account that recorded it. */
            by: string;
            content: string;
            /** Format: int64 */
            created_at_ms: number;
            /** Format: int64 */
            done_at_ms: number;
            id: string;
            /** @description `maintenance` or `repair`. */
            kind: string;
        };
        /** @description Devices grouped estate → building → unit. */
        DeviceTreeV1: {
            estates: components["schemas"]["TreeEstateV1"][];
        };
        /** @description A registered device with what its box last reported. */
        DeviceV1: {
            box_id: string;
            building_id: string;
            /** @description The id in the device's MQTT topics. */
            code: string;
            /** @description False once removed. */
            enabled: boolean;
            estate_id: string;
            /** Format: int64 */
            floor: number | null;
            /** Format: int64 */
            heartbeat_seconds: number;
            id: string;
            /** @description `smoke_detector` or `elevator`. */
            kind: string;
            /** Format: int64 */
            last_seen_ms: number | null;
            /**
             * @description The decoded points its box last reported (`{"smoke": false, "battery_percent": 87, …}`);
             *     `null` before the first report. Boxes of different versions report different points,
             *     so this is a flat map of point → scalar rather than a fixed struct.
             */
            last_state: {
                [key: string]: components["schemas"]["PointValueV1"];
            } | null;
            name: string;
            /** @description As its box last said; `null` before the box has reported it. */
            online: boolean | null;
            profile: string;
            unit_id: string | null;
        };
        /** @description A dispatch task (分转任务): the dispatcher is to assign the case. */
        DispatchTask: {
            /** Format: int64 */
            at_ms: number;
            by: string;
            dispatcher: string;
            /** @default  */
            note: string;
        };
        DoorBody: {
            box_id: string;
            code: string;
            /**
             * Format: double
             * @default null
             */
            lat: number | null;
            /**
             * Format: double
             * @default null
             */
            lon: number | null;
            name: string;
        };
        /** @description A door just registered. */
        DoorCreatedV1: {
            box_id: string;
            /** @description The door's id on its box. */
            code: string;
            estate_id: string;
            id: string;
            name: string;
        };
        /** @description A door as listed. */
        DoorV1: {
            box_id: string;
            /** @description The door's id on its box. */
            code: string;
            estate_id: string;
            id: string;
            /** Format: double */
            lat: number | null;
            /** Format: double */
            lon: number | null;
            /** @description `normal`, `held_open`, `locked` or `emergency_release`. */
            mode: string;
            name: string;
        };
        /**
         * @description How a door is wired (`[[doors]]`). In the cloud, `id` is a door registered to this box, and
         *     `name` and `estate` come from that registration.
         */
        DoorWiringV1: {
            /** Format: uint16 */
            channel: number;
            /** Format: uint16 */
            contact_channel?: number | null;
            contact_device?: string | null;
            /** @description The device whose output opens it. */
            device: string;
            /** @default  */
            estate: string;
            /** Format: uint64 */
            held_open_seconds?: number | null;
            id: string;
            monitor_contact?: boolean | null;
            /** @default  */
            name: string;
            /** Format: uint64 */
            pulse_ms?: number | null;
        };
        /**
         * @description How a door is wired (`[[doors]]`). In the cloud, `id` is a door registered to this box, and
         *     `name` and `estate` come from that registration.
         */
        DoorWiringV1Input: {
            /** Format: uint16 */
            channel: number;
            /** Format: uint16 */
            contact_channel?: number | null;
            contact_device?: string | null;
            /** @description The device whose output opens it. */
            device: string;
            /** @default  */
            estate: string;
            /** Format: uint64 */
            held_open_seconds?: number | null;
            id: string;
            monitor_contact?: boolean | null;
            /** @default  */
            name: string;
            /** Format: uint64 */
            pulse_ms?: number | null;
        };
        /** @enum {string} */
        DupLevel: "possible" | "likely";
        /**
         * @description The outcome of the duplicate check at filing. Build `candidates` server-side with
         *     [`super::duplicate::rank`]; only `not_duplicate_reason` comes from the person filing.
         */
        DuplicateCheck: {
            /** @default [] */
            candidates: components["schemas"]["DupMatch"][];
            /**
             * @description Why the case is filed although a likely duplicate exists.
             * @default null
             */
            not_duplicate_reason: string | null;
        };
        DupMatch: {
            case_id: string;
            level: components["schemas"]["DupLevel"];
            number: string;
            reasons: components["schemas"]["DupReason"][];
            /**
             * Format: double
             * @description 0..=1, rounded to 3 decimals so stored and shown values agree.
             */
            score: number;
        };
        /** @description A signal that matched, with its measure. */
        DupReason: {
            /** @constant */
            signal: "same_minor_category";
        } | {
            /** @constant */
            signal: "same_middle_category";
        } | {
            /** @constant */
            signal: "same_major_category";
        } | {
            /** Format: double */
            metres: number;
            /** @constant */
            signal: "nearby";
        } | {
            /** @constant */
            signal: "same_building";
        } | {
            /** @constant */
            signal: "same_grid";
        } | {
            /** Format: double */
            dice: number;
            /** @constant */
            signal: "similar_text";
        } | {
            /** Format: int64 */
            ms: number;
            /** @constant */
            signal: "reported_within";
        };
        EdgeAddressV1: {
            /** @default  */
            building: string;
            estate: string;
            /** @default  */
            room: string;
            /** @default  */
            unit: string;
        };
        /** @description Something staff did to an alarm in the cloud. */
        EdgeAlarmActionV1: {
            /** @description ack | clear */
            action: string;
            /** Format: int64 */
            at_ms: number;
            /** @description Who, for the box's audit ("cloud:<user name>"). */
            by: string;
            /** Format: uuid */
            id: string;
            kind: string;
            /** @description The alarm's source (device code) and kind, as the box reported them. */
            source: string;
        };
        /** @description What a box runs, and what it made of the last revision it was sent. */
        EdgeBoxConfigReportV1: {
            /**
             * Format: int64
             * @description The cloud revision in effect; 0 when the box runs on its file alone.
             */
            applied_revision: number;
            /** @description The sections in effect now. */
            effective: components["schemas"]["BoxSectionsV1Input"];
            /** @description The last revision refused, if it is newer than the one applied. */
            refused?: components["schemas"]["ConfigRefusalV1"] | null;
            /** @description file | cloud */
            source: string;
            /** Format: uint32 */
            version: number;
        };
        /** @description A revision of a box's configuration, as the cloud sends it. */
        EdgeBoxConfigV1: {
            /**
             * Format: int64
             * @description 1, 2, … per box; the box judges each revision once.
             */
            revision: number;
            sections: components["schemas"]["BoxSectionsV1"];
            /** Format: uint32 */
            version: number;
        };
        /** @description Community-wide settings a box follows. */
        EdgeBoxSettingsV1: {
            /**
             * Format: uint32
             * @description Days a face thumbnail is kept, on the box and in the cloud; then it is deleted.
             */
            face_thumbnail_retention_days: number;
            /** @description Send the face thumbnail of each face pass up with its pass record. */
            face_thumbnail_upload: boolean;
        };
        EdgeCommandBatchV1: {
            commands: components["schemas"]["EdgeSignedCommand"][];
            /** Format: uint32 */
            version: number;
        };
        EdgeCommandOutcomeV1: {
            /** Format: uuid */
            command_id: string;
            opened: boolean;
            /** @description The box's reason code (`resident`, `outside_visitor_window`, `replayed`, `device_offline`…). */
            reason: string;
            /** Format: uint32 */
            version: number;
        };
        /** @description A door as the cloud knows it. `code` is the door's id on the box (its `[[doors]] id`). */
        EdgeDoorV1: {
            code: string;
            estate_id: string;
            /** @description normal | held_open | locked | emergency_release */
            mode: string;
            name: string;
        };
        /**
         * @description Directory changes after `from_cursor`, up to `cursor`. The box applies one delta atomically
         *     and then stores `cursor`; `more` means it should ask again at once.
         */
        EdgeDownDeltaV1: {
            /**
             * @description Acknowledgements and clears staff made in the cloud, for the box's own alarm engine.
             * @default []
             */
            alarm_actions: components["schemas"]["EdgeAlarmActionV1"][];
            /**
             * @description The box's configuration, when the cloud holds a revision newer than the `config` the
             *     box asked with ([`crate::boxconfig`]).
             */
            config?: components["schemas"]["EdgeBoxConfigV1"] | null;
            /** Format: int64 */
            cursor: number;
            /**
             * @description Doors of this box whose configuration changed.
             * @default []
             */
            doors: components["schemas"]["EdgeDoorV1"][];
            /** Format: int64 */
            from_cursor: number;
            /**
             * @description Visitor grants at this estate, new or changed (a refusal or cancellation is a status).
             * @default []
             */
            grants: components["schemas"]["EdgeGrantV1"][];
            more: boolean;
            /**
             * @description People with rights at this box's estate, new or changed.
             * @default []
             */
            people: components["schemas"]["EdgePersonV1"][];
            /**
             * @description People who no longer have rights here (moved out, moved away, deleted).
             * @default []
             */
            removed_people: string[];
            /**
             * @description MQTT devices (smoke detectors, elevators) of this box, new, changed or disabled.
             * @default []
             */
            sensors: components["schemas"]["EdgeSensorV1"][];
            /**
             * @description The community's settings for this box, sent in every delta (absent from an older cloud).
             * @default null
             */
            settings: components["schemas"]["EdgeBoxSettingsV1"] | null;
            /** Format: uint32 */
            version: number;
        };
        /**
         * @description A face photo the box may enrol: it fetches the bytes with `GET /v1/edge/face-photos/{id}`
         *     and checks them against `sha256` (a photo is never edited in place; a new one gets a new id).
         */
        EdgeFacePhotoV1: {
            id: string;
            /** @description Lower-case hex SHA-256 of the photo's bytes. */
            sha256: string;
        };
        EdgeGrantV1: {
            /**
             * Format: int64
             * @description Appointment time, ms since the Unix epoch; the visitor may pass ±1 h around it.
             */
            appointment_at_ms: number;
            estate: string;
            host_id: string;
            id: string;
            /** @description pending | approved | refused | cancelled */
            status: string;
            visitor_id: string;
        };
        EdgePersonV1: {
            /** @default [] */
            addresses: components["schemas"]["EdgeAddressV1"][];
            /** @default true */
            enabled: boolean;
            /**
             * @description The person's approved face photos with consent on record, all of them (not a change
             *     list): the box enrols what is new and deletes templates of photos no longer listed.
             *     Empty when there is none or consent was withdrawn.
             */
            face_photos?: components["schemas"]["EdgeFacePhotoV1"][];
            id: string;
            /** @description resident | staff | visitor */
            kind: string;
            /** @default  */
            name: string;
            /** @default false */
            staff_all_estates: boolean;
            /** @default [] */
            staff_estates: string[];
        };
        EdgeProvisionRequestV1: {
            /** @description The one-time code an admin got when registering the box. */
            code: string;
            /** @description base64 of the box's new 32-byte Ed25519 public key. */
            public_key: string;
            /** Format: uint32 */
            version: number;
        };
        EdgeProvisionResponseV1: {
            box_id: string;
            box_name: string;
            community_id: string;
            doors: components["schemas"]["EdgeDoorV1"][];
            estate_id: string;
            /** @description base64 public key whose signatures one-tap commands carry. */
            onetap_public_key: string;
            /** Format: uint32 */
            version: number;
        };
        /** @description An MQTT device registered in the cloud, as its box needs it. */
        EdgeSensorV1: {
            building: string;
            /** @description The id in the device's topics. */
            code: string;
            /** @description false: the device was removed; the box forgets it. */
            enabled: boolean;
            estate: string;
            /**
             * Format: int64
             * @default null
             */
            floor: number | null;
            /** Format: uint32 */
            heartbeat_seconds: number;
            /** @description smoke_detector | elevator */
            kind: string;
            name: string;
            /** @description The device profile's name on the box. */
            profile: string;
            /** @default  */
            unit: string;
        };
        /**
         * @description What travels: the payload's exact JSON bytes (base64) and the signature over them.
         *     Signing the bytes, not a re-serialisation, keeps verification independent of field order.
         */
        EdgeSignedCommand: {
            /** @description base64 (standard alphabet) of the UTF-8 JSON of an [`OneTapCommandV1`]. */
            payload: string;
            /** @description base64 of the 64-byte Ed25519 signature over the decoded payload bytes. */
            signature: string;
        };
        /** @description Sent only after the cloud has committed the batch: the box may then advance its cursor. */
        EdgeUplinkAckV1: {
            /**
             * Format: uint32
             * @description Records the cloud already had (a resend after a lost ack).
             */
            duplicates: number;
            /**
             * Format: uint32
             * @description Records stored for the first time.
             */
            stored: number;
            /** Format: uint32 */
            version: number;
        };
        EdgeUplinkBatchV1: {
            records: components["schemas"]["EdgeUplinkRecordV1"][];
            /** Format: uint32 */
            version: number;
        };
        EdgeUplinkRecordV1: {
            allowed: boolean;
            /** Format: int64 */
            at_ms: number;
            /**
             * Format: uuid
             * @default null
             */
            command_id: string | null;
            /** @description The door's code on the box. */
            door: string;
            /**
             * @description base64 of a small JPEG of the face (at most `limits::THUMBNAIL` bytes decoded), only
             *     for face passes and only when the community's `face_thumbnail_upload` is on.
             */
            face_thumbnail?: string | null;
            /** @default null */
            grant_id: string | null;
            /** Format: uuid */
            id: string;
            /** @description face | one_tap | staff */
            method: string;
            person_id: string;
            reason: string;
            /** @constant */
            type: "pass";
        } | {
            /** Format: int64 */
            at_ms: number;
            /** @default  */
            detail: string;
            /** Format: uuid */
            id: string;
            kind: string;
            /** @description critical | major | minor | warning (empty on a clear) */
            severity: string;
            /** @description Door code, device id, or "box". */
            source: string;
            /** @description raised | cleared */
            state: string;
            /** @constant */
            type: "alarm";
        } | {
            /** Format: int64 */
            at_ms: number;
            device: string;
            /** Format: uuid */
            id: string;
            /**
             * Format: int64
             * @description Epoch ms of the last message from the device, if any.
             * @default null
             */
            last_seen_ms: number | null;
            online: boolean;
            /**
             * @description The decoded points (`{"smoke": false, "battery_percent": 87, …}`), at most
             *     `limits::DETAIL` bytes of JSON.
             */
            state: string;
            /** @constant */
            type: "device_state";
        } | {
            accepted: boolean;
            /** Format: int64 */
            at_ms: number;
            /** Format: uuid */
            id: string;
            person_id: string;
            photo_id: string;
            /** @default [] */
            reasons: string[];
            /** @constant */
            type: "face_enrolment";
        };
        EnabledBody: {
            enabled: boolean;
        };
        ErrorBodyV1: {
            error: components["schemas"]["ErrorV1"];
        };
        ErrorV1: {
            code: string;
            field?: string | null;
            message: string;
        };
        EstateBody: {
            /** @default null */
            grid_id: string | null;
            /**
             * Format: double
             * @default null
             */
            lat: number | null;
            /**
             * Format: double
             * @default null
             */
            lon: number | null;
            name: string;
        };
        /** @description An estate with its buildings, units and rooms. */
        EstateTreeV1: {
            buildings: components["schemas"]["BuildingV1"][];
            id: string;
            name: string;
        };
        /** @description An estate (小区) as listed. */
        EstateV1: {
            grid_id: string | null;
            id: string;
            /** Format: double */
            lat: number | null;
            /** Format: double */
            lon: number | null;
            name: string;
        };
        /** @description An open extension request; at most one at a time, dropped when the stage changes. */
        ExtensionRequest: {
            /** Format: int64 */
            at_ms: number;
            by: string;
            reason: string;
            stage: components["schemas"]["Stage"];
            /** Format: int64 */
            until_ms: number;
        };
        /** @description A person's face consent as just recorded. */
        FaceConsentV1: {
            given: boolean;
            note: string | null;
            person_id: string;
            /** Format: int64 */
            recorded_at_ms: number;
            /** @description The name of the staff account that recorded it. */
            recorded_by: string;
        };
        /** @description A door that opens by face, with its thresholds (`[[face.doors]]`). */
        FaceDoorV1: {
            /** Format: uint32 */
            confirm_frames?: number | null;
            door: string;
            /** Format: float */
            margin?: number | null;
            /** Format: uint64 */
            max_gap_ms?: number | null;
            /** Format: uint64 */
            repeat_ms?: number | null;
            /** Format: float */
            threshold?: number | null;
        };
        /** @description `POST …/people/{person_id}/face-photos` answers with the photo stored. */
        FacePhotoUploadedV1: {
            /** @description `image/jpeg` or `image/png`. */
            content_type: string;
            id: string;
            person_id: string;
            /** @description Hex SHA-256 of the bytes. */
            sha256: string;
            /** Format: int64 */
            size_bytes: number;
            /** @description Always `pending_review`. */
            status: components["schemas"]["PhotoStatus"];
        };
        /** @description One face photo as staff review it: its person, their consent, and what each box made of it. */
        FaceReviewPhotoV1: {
            consent: components["schemas"]["PhotoConsentV1"];
            content_type: string;
            /** Format: int64 */
            deleted_at_ms: number | null;
            deleted_by: string | null;
            /** @description What the boxes made of it: `waiting`, `enrolled` or `refused`. */
            enrolment: string;
            id: string;
            person_id: string;
            person_name: string;
            /** @description When refused: the refusing boxes' reasons, each once. */
            refusal_reasons: string[];
            review_note: string | null;
            /** Format: int64 */
            reviewed_at_ms: number | null;
            /** @description Who last approved or rejected it. */
            reviewed_by: string | null;
            /** @description Whether boxes are sent this photo (approved, and consent given). */
            sent_to_boxes: boolean;
            /** @description Hex SHA-256 of the bytes. */
            sha256: string;
            /** Format: int64 */
            size_bytes: number;
            status: components["schemas"]["PhotoStatus"];
            /** Format: int64 */
            uploaded_at_ms: number;
            uploaded_by: string;
            /** @description The latest verdict of each box, by box id. */
            verdicts: components["schemas"]["Verdict"][];
        };
        /** @description A community's face settings. */
        FaceSettingsV1: {
            /**
             * Format: uint32
             * @description How long the cloud keeps pass thumbnails.
             */
            face_thumbnail_retention_days: number;
            /** @description Whether boxes upload the face thumbnail of a pass. */
            face_thumbnail_upload: boolean;
            /** Format: int64 */
            updated_at_ms: number | null;
            /** @description Who last saved them; `null` while they are the defaults. */
            updated_by: string | null;
        };
        FromAlarmBody: {
            category: components["schemas"]["CategoryPath"];
            /** @default null */
            description: string | null;
            grid: components["schemas"]["GridPathInput"];
            /** @default null */
            severity: components["schemas"]["Severity"] | null;
        };
        /** @description One entry of a GeoReport error answer (the body is an array of them). */
        GeoErrorV1: {
            /**
             * Format: uint16
             * @description The HTTP status.
             */
            code: number;
            description: string;
        };
        /** @description WGS-84 coordinates in degrees. */
        GeoPoint: {
            /** Format: double */
            lat: number;
            /** Format: double */
            lon: number;
        };
        /** @description The answer to filing a request (GeoReport sends it as a one-element array). */
        GeoRequestFiledV1: {
            /** @description The filing account. */
            account_id: string;
            /** @description `case <case number>`. */
            service_notice: string;
            /** @description The case id. */
            service_request_id: string;
        };
        /**
         * @description A GeoReport service request (a case filed through this public channel). Anyone sees the
         *     public form; the filing account also sees `x_case_number`, `description`, `address` and the
         *     exact place.
         */
        GeoRequestV1: {
            /** @description The location as text (filer only). */
            address?: string | null;
            /** @description What was reported (filer only). */
            description?: string | null;
            /**
             * Format: double
             * @description Degrees; rounded to 0.001° unless the caller filed it.
             */
            lat: number | null;
            /**
             * Format: double
             * @description Degrees; rounded to 0.001° unless the caller filed it.
             */
            long: number | null;
            /** @description RFC 3339, UTC. */
            requested_datetime: string;
            /** @description `major.middle.minor` category codes. */
            service_code: string;
            /** @description The case id. */
            service_request_id: string;
            /** @description `open` or `closed`. */
            status: string;
            /** @description RFC 3339, UTC. */
            updated_datetime: string;
            /** @description The case number (filer only). */
            x_case_number?: string | null;
            /** @description The case's workflow state. */
            x_workflow_status: components["schemas"]["CaseStatus"];
        };
        /** @description A GeoReport service: one minor category of the case tree. */
        GeoServiceV1: {
            /** @description The category's names, `major / middle / minor`. */
            description: string;
            /** @description The major category's name. */
            group: string;
            /** @description Always empty. */
            keywords: string;
            /** @description Always `false`: no service takes extra attributes. */
            metadata: boolean;
            /** @description `major.middle.minor` category codes. */
            service_code: string;
            service_name: string;
            /** @description Always `realtime`. */
            type: string;
        };
        GridBody: {
            /** Format: int64 */
            level: number;
            name: string;
            /** @default null */
            parent_id: string | null;
        };
        /** @description Grid levels 1–3 by grid id (the registry's `grids`); a finer level needs the coarser one. */
        GridPath: {
            level1: string;
            /** @default null */
            level2: string | null;
            /** @default null */
            level3: string | null;
        };
        /** @description Grid levels 1–3 by grid id (the registry's `grids`); a finer level needs the coarser one. */
        GridPathInput: {
            level1: string;
            /** @default null */
            level2: string | null;
            /** @default null */
            level3: string | null;
        };
        /** @description A grid (网格) of a community: level 1, or 2/3 under a parent one level up. */
        GridV1: {
            id: string;
            /**
             * Format: int64
             * @description 1, 2 or 3.
             */
            level: number;
            name: string;
            /** @description The grid one level up; `null` for level 1. */
            parent_id: string | null;
        };
        HandlingStage: {
            /** Format: int64 */
            assigned_at_ms: number;
            assigned_by: string;
            /**
             * Format: int64
             * @description When handling was reported done; cleared when inspection fails.
             * @default null
             */
            completed_at_ms: number | null;
            /** Format: int64 */
            deadline_ms: number;
            handler: components["schemas"]["Assignee"];
            /**
             * @description Materials the handler and co-handlers uploaded (references).
             * @default []
             */
            materials: components["schemas"]["AttachmentRef"][];
            requirements: string;
        };
        /** @description `GET /v1/health`. */
        HealthV1: {
            /** @description `sqlite` or `postgres`. */
            database: string;
            /** @description `ok` when the database answered. */
            status: string;
        };
        /** @description One line of a case's record: who did what, when, from which state to which. */
        HistoryEntry: {
            actor: components["schemas"]["Actor"];
            /** Format: int64 */
            at_ms: number;
            case_id: string;
            event: components["schemas"]["CaseEvent"];
            /** @description `None` for the report. */
            from: components["schemas"]["CaseStatus"] | null;
            op: components["schemas"]["OpKind"];
            /**
             * Format: uint32
             * @description 0 for the report, then +1 per accepted operation.
             */
            seq: number;
            to: components["schemas"]["CaseStatus"];
        };
        InspectionStage: {
            /** Format: int64 */
            assigned_at_ms: number;
            assigned_by: string;
            /** Format: int64 */
            deadline_ms: number;
            /** @default [] */
            evidence: components["schemas"]["AttachmentRef"][];
            /**
             * Format: int64
             * @default null
             */
            evidence_at_ms: number | null;
            inspector: components["schemas"]["Assignee"];
            requirements: string;
        };
        /** @description A whole (unpaged) list: `{"items": [...]}`. */
        Items_AddressApplicationV1: {
            items: components["schemas"]["AddressApplicationV1"][];
        };
        /** @description A whole (unpaged) list: `{"items": [...]}`. */
        Items_BoxV1: {
            items: components["schemas"]["BoxV1"][];
        };
        /** @description A whole (unpaged) list: `{"items": [...]}`. */
        Items_CaseRowV1: {
            items: components["schemas"]["CaseRowV1"][];
        };
        /** @description A whole (unpaged) list: `{"items": [...]}`. */
        Items_CaseWorkerV1: {
            items: components["schemas"]["CaseWorkerV1"][];
        };
        /** @description A whole (unpaged) list: `{"items": [...]}`. */
        Items_DeviceRecordV1: {
            items: components["schemas"]["DeviceRecordV1"][];
        };
        /** @description A whole (unpaged) list: `{"items": [...]}`. */
        Items_DeviceV1: {
            items: components["schemas"]["DeviceV1"][];
        };
        /** @description A whole (unpaged) list: `{"items": [...]}`. */
        Items_DoorV1: {
            items: components["schemas"]["DoorV1"][];
        };
        /** @description A whole (unpaged) list: `{"items": [...]}`. */
        Items_DupMatch: {
            items: components["schemas"]["DupMatch"][];
        };
        /** @description A whole (unpaged) list: `{"items": [...]}`. */
        Items_EstateV1: {
            items: components["schemas"]["EstateV1"][];
        };
        /** @description A whole (unpaged) list: `{"items": [...]}`. */
        Items_GridV1: {
            items: components["schemas"]["GridV1"][];
        };
        /** @description A whole (unpaged) list: `{"items": [...]}`. */
        Items_NamedV1: {
            items: components["schemas"]["NamedV1"][];
        };
        /** @description A whole (unpaged) list: `{"items": [...]}`. */
        Items_NotificationV1: {
            items: components["schemas"]["NotificationV1"][];
        };
        /** @description A whole (unpaged) list: `{"items": [...]}`. */
        Items_VisitV1: {
            items: components["schemas"]["VisitV1"][];
        };
        /** @description People and houses (rooms) the case concerns, by registry id. */
        Linked: {
            /** @default [] */
            house_ids: string[];
            /** @default [] */
            person_ids: string[];
        };
        /** @description People and houses (rooms) the case concerns, by registry id. */
        LinkedInput: {
            /** @default [] */
            house_ids: string[];
            /** @default [] */
            person_ids: string[];
        };
        Location: {
            /**
             * @description The registry building it is at, when known.
             * @default null
             */
            building_id: string | null;
            /** @default null */
            point: components["schemas"]["GeoPoint"] | null;
            /** @description As a person would say it: "3 栋 2 单元门口". */
            text: string;
        };
        LocationInput: {
            /**
             * @description The registry building it is at, when known.
             * @default null
             */
            building_id: string | null;
            /** @default null */
            point: components["schemas"]["GeoPoint"] | null;
            /** @description As a person would say it: "3 栋 2 单元门口". */
            text: string;
        };
        LoginBody: {
            password: string;
            username: string;
        };
        /** @description One alarm as staff manage it (the box's upload of a transition is `edge_sync::sync::AlarmV1`). */
        ManagedAlarmV1: {
            ack_comment: string | null;
            acked: boolean;
            /** Format: int64 */
            acked_at_ms: number | null;
            acked_by: string | null;
            active: boolean;
            /**
             * Format: int64
             * @description When it was raised.
             */
            at_ms: number;
            box_id: string;
            clear_comment: string | null;
            /** Format: int64 */
            cleared_at_ms: number | null;
            /** @description Who cleared it by hand (`null` when the box cleared it). */
            cleared_by: string | null;
            /** @description Cleared and acknowledged: the next raise opens a new alarm. */
            closed: boolean;
            /** @description The box's latest detail. */
            detail: string;
            /** @description The registry's device with that code, when there is one. */
            device_id: string | null;
            estate_id: string;
            id: string;
            kind: string;
            /** @description critical | major | minor | warning */
            severity: string;
            /** @description Door code, device id, or "box". */
            source: string;
            /** @description active_unack | active_ack | cleared_unack | cleared_ack */
            status: string;
            /** Format: int64 */
            updated_at_ms: number;
        };
        /** @description One alarm with its whole history, oldest first. */
        ManagedAlarmWithHistoryV1: {
            ack_comment: string | null;
            acked: boolean;
            /** Format: int64 */
            acked_at_ms: number | null;
            acked_by: string | null;
            active: boolean;
            /**
             * Format: int64
             * @description When it was raised.
             */
            at_ms: number;
            box_id: string;
            /** @description The case it was turned into, if it was. */
            case_id: string | null;
            clear_comment: string | null;
            /** Format: int64 */
            cleared_at_ms: number | null;
            /** @description Who cleared it by hand (`null` when the box cleared it). */
            cleared_by: string | null;
            /** @description Cleared and acknowledged: the next raise opens a new alarm. */
            closed: boolean;
            /** @description The box's latest detail. */
            detail: string;
            /** @description The registry's device with that code, when there is one. */
            device_id: string | null;
            estate_id: string;
            history: components["schemas"]["AlarmHistoryEntryV1"][];
            id: string;
            kind: string;
            /** @description critical | major | minor | warning */
            severity: string;
            /** @description Door code, device id, or "box". */
            source: string;
            /** @description active_unack | active_ack | cleared_unack | cleared_ack */
            status: string;
            /** Format: int64 */
            updated_at_ms: number;
        };
        /** @description One Modbus slave (`[[devices]]`). Exactly one of `rtu`, `tcp`. */
        ModbusDeviceV1: {
            id: string;
            /** @description A profile (controller model) the box has in its profiles folder. */
            profile: string;
            rtu?: components["schemas"]["RtuV1"] | null;
            /**
             * Format: uint8
             * @description Modbus unit id, 1..=247.
             */
            slave_id: number;
            tcp?: components["schemas"]["TcpV1"] | null;
        };
        ModeBody: {
            mode: string;
        };
        MoveBody: {
            community_id: string;
        };
        NameBody: {
            name: string;
        };
        /**
         * @description A registry object by id and name: a community, a room, or an estate, building, unit or room
         *     just made.
         */
        NamedV1: {
            id: string;
            name: string;
        };
        /** @description A report as submitted: the case's data, fixed once reported. */
        NewCase: {
            /**
             * @description 区域
             * @default null
             */
            area: string | null;
            /** @default [] */
            attachments: components["schemas"]["AttachmentRef"][];
            category: components["schemas"]["CategoryPath"];
            /** @description The community whose staff manage it (the data scope). */
            community_id: string;
            /**
             * @description 案件描述: the case as written up; may be empty at report time.
             * @default
             */
            description: string;
            grid: components["schemas"]["GridPath"];
            kind: components["schemas"]["CaseKind"];
            /**
             * @default {
             *       "house_ids": [],
             *       "person_ids": []
             *     }
             */
            linked: components["schemas"]["Linked"];
            location: components["schemas"]["Location"];
            /** @description 问题描述: what is wrong, as reported. */
            problem: string;
            /**
             * @description 自行处理: the reporting staff member handles it alone (§2.1.5).
             * @default false
             */
            self_handled: boolean;
            severity: components["schemas"]["Severity"];
            source: components["schemas"]["Source"];
            /**
             * @description What it came from: an alarm id, hotline ticket, warning or suggestion id.
             * @default null
             */
            source_ref: string | null;
            /**
             * @description 督查上报: only on snap-and-report, only from staff.
             * @default false
             */
            supervision: boolean;
        };
        /** @description One notification to a person. */
        NotificationV1: {
            body: string;
            /** Format: int64 */
            created_at_ms: number;
            id: string;
            kind: string;
            /** @description The visit or application it is about. */
            ref_id: string | null;
        };
        /** @description What a one-tap came to, told by `result`. */
        OneTapV1: {
            message: string;
            /** @constant */
            result: "no_door_nearby";
        } | components["schemas"]["TapUnansweredV1"] | components["schemas"]["TapAnsweredV1"] | components["schemas"]["TapAnsweredV1"] | components["schemas"]["TapUnansweredV1"];
        /** @description An OpenAPI 3.1 document (https://spec.openapis.org/oas/3.1.0) */
        OpenApiV1: {
            components: Record<string, never>;
            info: Record<string, never>;
            openapi: string;
            paths: Record<string, never>;
        };
        /**
         * @description Every operation, for errors, history and permission tables.
         * @enum {string}
         */
        OpKind: "report" | "void" | "mark_duplicate" | "file" | "self_resolve" | "refile" | "dispatch" | "assign" | "add_co_handler" | "reassign" | "request_extension" | "decide_extension" | "add_materials" | "complete_handling" | "assign_inspection" | "submit_evidence" | "fail_inspection" | "close";
        /** @description A community's figures at one moment. */
        OverviewV1: {
            /** @description Alarms not closed, by severity (severities without any are left out). */
            alarms_open: components["schemas"]["SeverityCountV1"][];
            /**
             * Format: int64
             * @description Of those, active and not acknowledged by anyone.
             */
            alarms_unacknowledged: number;
            /**
             * Format: int64
             * @description When the figures were read (ms).
             */
            at_ms: number;
            /**
             * Format: int64
             * @description Boxes provisioned and not revoked.
             */
            boxes: number;
            /**
             * Format: int64
             * @description Of those, not connected to the cloud now.
             */
            boxes_offline: number;
            /**
             * Format: int64
             * @description Cases whose deadline falls within the next 24 h (`timeliness=due_soon`).
             */
            cases_due_soon: number;
            /**
             * Format: int64
             * @description Cases past their deadline (`timeliness=overdue`).
             */
            cases_overdue: number;
            /**
             * Format: int64
             * @description Cases in the `pending` view.
             */
            cases_pending: number;
            /**
             * Format: int64
             * @description Devices in service.
             */
            devices: number;
            /**
             * Format: int64
             * @description Of those, reported offline by their box.
             */
            devices_offline: number;
            /**
             * Format: int64
             * @description Of those, refused.
             */
            passes_refused: number;
            /**
             * Format: int64
             * @description Passes since `since_ms` (the console sends the start of today in the community's time).
             */
            passes_since: number;
        };
        /**
         * @description A page of a newest-first list: `next` is the `before` of the following page, `null` on the
         *     last page.
         */
        Page_AlarmEventV1: {
            items: components["schemas"]["AlarmEventV1"][];
            /** @description Pass as `before` to get the next page; `null` when this is the last one. */
            next: string | null;
        };
        /**
         * @description A page of a newest-first list: `next` is the `before` of the following page, `null` on the
         *     last page.
         */
        Page_CaseRowV1: {
            items: components["schemas"]["CaseRowV1"][];
            /** @description Pass as `before` to get the next page; `null` when this is the last one. */
            next: string | null;
        };
        /**
         * @description A page of a newest-first list: `next` is the `before` of the following page, `null` on the
         *     last page.
         */
        Page_FaceReviewPhotoV1: {
            items: components["schemas"]["FaceReviewPhotoV1"][];
            /** @description Pass as `before` to get the next page; `null` when this is the last one. */
            next: string | null;
        };
        /**
         * @description A page of a newest-first list: `next` is the `before` of the following page, `null` on the
         *     last page.
         */
        Page_ManagedAlarmV1: {
            items: components["schemas"]["ManagedAlarmV1"][];
            /** @description Pass as `before` to get the next page; `null` when this is the last one. */
            next: string | null;
        };
        /**
         * @description A page of a newest-first list: `next` is the `before` of the following page, `null` on the
         *     last page.
         */
        Page_PassLogV1: {
            items: components["schemas"]["PassLogV1"][];
            /** @description Pass as `before` to get the next page; `null` when this is the last one. */
            next: string | null;
        };
        /**
         * @description A page of a newest-first list: `next` is the `before` of the following page, `null` on the
         *     last page.
         */
        Page_StaffVisitV1: {
            items: components["schemas"]["StaffVisitV1"][];
            /** @description Pass as `before` to get the next page; `null` when this is the last one. */
            next: string | null;
        };
        /**
         * @description A page of a newest-first list: `next` is the `before` of the following page, `null` on the
         *     last page.
         */
        Page_SuggestionV1: {
            items: components["schemas"]["SuggestionV1"][];
            /** @description Pass as `before` to get the next page; `null` when this is the last one. */
            next: string | null;
        };
        /** @description One pass log record a box uploaded (the type that travels up is `edge_sync::sync::PassV1`). */
        PassLogV1: {
            allowed: boolean;
            /**
             * Format: int64
             * @description When the box saw it.
             */
            at_ms: number;
            box_id: string;
            /** @description The door's code on its box. */
            door_code: string;
            /** @description The registry's door with that code, when there is one. */
            door_id: string | null;
            door_name: string | null;
            estate_id: string;
            /** @description The grant (e.g. a visit) that let them in, if any. */
            grant_id: string | null;
            /** @description A face thumbnail of the pass is stored. */
            has_thumbnail: boolean;
            id: string;
            /** @description face | one_tap | staff */
            method: string;
            /** @description Who passed, as the box reported it. */
            person_id: string;
            /** @description The person is in the box's directory. */
            person_known: boolean;
            /** @description Name and phone, when the person is in the box's directory. */
            person_name: string | null;
            phone: string | null;
            /** @description Why the box allowed or refused it. */
            reason: string;
            /**
             * Format: int64
             * @description When the cloud received it.
             */
            received_at_ms: number;
        };
        /** @description A page of people (offset paging, in registration order). */
        PeoplePageV1: {
            items: components["schemas"]["PersonSummaryV1"][];
            /** Format: int64 */
            limit: number;
            /** Format: int64 */
            offset: number;
        };
        PersonBody: {
            /** @default null */
            id_number: string | null;
            /** @description local | non_local | foreign */
            kind: string;
            name: string;
            /** @default null */
            phone: string | null;
        };
        /** @description A person just registered. */
        PersonCreatedV1: {
            id: string;
            /** @description The ID number, masked. */
            id_number: string | null;
            /** @description `local`, `non_local` or `foreign`. */
            kind: string;
            name: string;
            phone: string | null;
        };
        /** @description A person as listed. */
        PersonSummaryV1: {
            /** @description Whether the person's door rights are on. */
            enabled: boolean;
            id: string;
            /** @description The ID number, masked. */
            id_number: string | null;
            /** @description `local`, `non_local`, `foreign` or `visitor`. */
            kind: string;
            name: string;
            phone: string | null;
        };
        /** @description One person with their addresses. */
        PersonV1: {
            addresses: components["schemas"]["AddressV1"][];
            /** @description Whether the person's door rights are on. */
            enabled: boolean;
            id: string;
            /** @description The ID number: masked, or in full when a street account asked `reveal=true`. */
            id_number: string | null;
            /** @description `local`, `non_local`, `foreign` or `visitor`. */
            kind: string;
            name: string;
            phone: string | null;
        };
        /** @description The consent of a photo's person; `given` is false and the rest `null` when none was recorded. */
        PhotoConsentV1: {
            given: boolean;
            note: string | null;
            /** Format: int64 */
            recorded_at_ms: number | null;
            recorded_by: string | null;
        };
        /** @description Where a photo is in review. */
        PhotoStatus: ("pending_review" | "approved" | "rejected") | "deleted";
        /** @description One reported point's value. */
        PointValueV1: boolean | number | string | null;
        /** @description A presence sensor on a Modbus discrete input. */
        PresenceV1: {
            device: string;
            /** Format: uint16 */
            discrete_input: number;
            /** Format: uint64 */
            poll_ms?: number | null;
        };
        /** @description A new one-time provisioning code for a box. */
        ProvisioningCodeV1: {
            /** Format: int64 */
            code_expires_at_ms: number;
            provisioning_code: string;
        };
        /** @description `GET /v1/ready`. */
        ReadyV1: {
            /**
             * Format: int64
             * @description The newest migration applied, as this build knows it.
             */
            schema_version: number;
            /** @description `ready`. */
            status: string;
        };
        RecordBody: {
            content: string;
            /**
             * Format: int64
             * @description When the work was done; now if absent.
             * @default null
             */
            done_at_ms: number | null;
            /** @description maintenance (elevators) | repair */
            kind: string;
        };
        RejectBody: {
            note: string;
        };
        /**
         * @description A report (`POST …/cases`, `POST /v1/app/cases`): the core's `NewCase`, whose community is
         *     the path's (or, from the app, the account's).
         */
        ReportBody: {
            /**
             * @description 区域
             * @default null
             */
            area: string | null;
            /** @default [] */
            attachments: components["schemas"]["AttachmentRefInput"][];
            category: components["schemas"]["CategoryPath"];
            /**
             * @description Leave it out; if given it must be the community the report goes to (from the app:
             *     required for accounts without a home community).
             */
            community_id?: string;
            /**
             * @description 案件描述: the case as written up; may be empty at report time.
             * @default
             */
            description: string;
            grid: components["schemas"]["GridPathInput"];
            kind: components["schemas"]["CaseKind"];
            /**
             * @default {
             *       "house_ids": [],
             *       "person_ids": []
             *     }
             */
            linked: components["schemas"]["LinkedInput"];
            location: components["schemas"]["LocationInput"];
            /** @description 问题描述: what is wrong, as reported. */
            problem: string;
            /**
             * @description 自行处理: the reporting staff member handles it alone (§2.1.5).
             * @default false
             */
            self_handled: boolean;
            severity: components["schemas"]["Severity"];
            source: components["schemas"]["Source"];
            /**
             * @description What it came from: an alarm id, hotline ticket, warning or suggestion id.
             * @default null
             */
            source_ref: string | null;
            /**
             * @description 督查上报: only on snap-and-report, only from staff.
             * @default false
             */
            supervision: boolean;
        };
        /** @description A resident's account, made. */
        ResidentSignedUpV1: {
            /** @description The new account's id. */
            id: string;
            person_id: string;
            role: components["schemas"]["Role"];
            status: components["schemas"]["SignupStatusV1"];
        };
        /** @description Roles of accounts. Staff roles use the web console; the others use the phone app. */
        Role: ("street_admin" | "community_staff" | "resident" | "visitor" | "enterprise" | "seat_operator" | "co_handler" | "dispatcher") | "field_staff";
        /** @description Serial line settings of a device on an RS-485 port. */
        RtuV1: {
            /** Format: uint32 */
            baud?: number | null;
            /** Format: uint8 */
            data_bits?: number | null;
            /** @description none | even | odd */
            parity?: string | null;
            /** @description e.g. `/dev/ttyUSB0` */
            port: string;
            /** Format: uint8 */
            stop_bits?: number | null;
        };
        /** @description A session just opened by `POST /v1/auth/login`. */
        SessionV1: {
            account: components["schemas"]["AccountV1"];
            /** Format: int64 */
            expires_at_ms: number;
            /** @description Send as `Authorization: Bearer <token>`. */
            token: string;
        };
        SettingsBody: {
            /** Format: int64 */
            face_thumbnail_retention_days: number;
            face_thumbnail_upload: boolean;
        };
        /**
         * @description 问题程度.
         * @enum {string}
         */
        Severity: "minor" | "moderate" | "major" | "critical";
        /** @description Open alarms of one severity. */
        SeverityCountV1: {
            /** Format: int64 */
            open: number;
            /** @description critical | major | minor | warning */
            severity: string;
        };
        /** @description A visitor or enterprise sign-up, accepted. */
        SignupAcceptedV1: {
            /** @description What to do now. */
            next: string;
            role: components["schemas"]["Role"];
            status: components["schemas"]["SignupStatusV1"];
        };
        SignupBody: {
            /**
             * @description Residents only: the activation code community staff gave them (proves the phone's owner
             *     is the registered resident).
             * @default null
             */
            activation_code: string | null;
            name: string;
            password: string;
            phone: string;
            /** @description visitor | enterprise | resident */
            role: string;
        };
        /**
         * @description A sign-up's status: always `created`.
         * @enum {string}
         */
        SignupStatusV1: "created";
        /**
         * @description What `POST /v1/app/signup` answers: a resident (whose activation code proved the phone)
         *     learns what was made; anyone else gets the same answer whether or not the phone already had
         *     an account.
         */
        SignupV1: components["schemas"]["ResidentSignedUpV1"] | components["schemas"]["SignupAcceptedV1"];
        /** @description Where a case came from (§2.1, §2.1.6–2.1.8, §2.7.3.1, issue 6). */
        Source: "video_monitoring" | "resident_report" | "snap_and_report" | "hotline_12345" | "staff" | "seat_operator" | "warning" | "suggestion" | "edge_alarm";
        /** @description A staff account in the street's list. */
        StaffAccountRowV1: {
            /** @description Community staff and community case workers: their community; street-wide accounts: null. */
            community_id: string | null;
            community_name: string | null;
            /** Format: int64 */
            created_at_ms: number;
            /** @description A disabled account cannot sign in; its sessions ended when it was disabled. */
            enabled: boolean;
            id: string;
            role: components["schemas"]["Role"];
            username: string;
        };
        /** @description A page of staff accounts (offset paging, oldest first). */
        StaffAccountsPageV1: {
            items: components["schemas"]["StaffAccountRowV1"][];
            /** Format: int64 */
            limit: number;
            /** Format: int64 */
            offset: number;
        };
        /** @description A staff account just made. */
        StaffAccountV1: {
            id: string;
            role: components["schemas"]["Role"];
            username: string;
        };
        StaffBody: {
            /** @default null */
            community_id: string | null;
            password: string;
            /** @description street_admin | community_staff */
            role: string;
            username: string;
        };
        /** @description The whole set of estates (it replaces the one before; empty takes every right away). */
        StaffRightsBody: {
            estate_ids: string[];
        };
        /** @description A person's staff door rights. */
        StaffRightsV1: {
            /** @description The estates whose doors the person passes as staff (empty: none). */
            estate_ids: string[];
            /** Format: int64 */
            granted_at_ms: number | null;
            /** @description Who last changed them, and when; `null` while the person has none. */
            granted_by: string | null;
            person_id: string;
        };
        /**
         * @description One visit as community staff see it (the gate's and the office's list): both parties by
         *     name and phone, as in the pass log.
         */
        StaffVisitV1: {
            /** Format: int64 */
            created_at_ms: number;
            /** Format: int64 */
            decided_at_ms: number | null;
            estate_id: string;
            host: string;
            host_person_id: string;
            /** @description The host's phone (the console masks it unless asked). */
            host_phone: string | null;
            id: string;
            reason: string;
            /** @description The status with time applied: pending | approved | refused | cancelled | visited | expired. */
            state: string;
            /** Format: int64 */
            visit_at_ms: number;
            visitor: string;
            visitor_person_id: string;
            /** @description The visitor's phone. */
            visitor_phone: string | null;
            /** @description When the visitor may pass: [visit − 1 h, visit + 1 h], in ms. */
            window: number[];
        };
        /**
         * @description The two stages that run against a deadline.
         * @enum {string}
         */
        Stage: "handling" | "inspection";
        SuggestionBody: {
            /**
             * @description For accounts without a home community (visitors, enterprises).
             * @default null
             */
            community_id: string | null;
            text: string;
        };
        /** @description `POST /v1/app/suggestions` answers with where the suggestion went. */
        SuggestionPostedV1: {
            community_id: string;
            id: string;
        };
        /** @description One suggestion as staff see it. */
        SuggestionV1: {
            /** Format: int64 */
            at_ms: number;
            /** @description The case made from it, once there is one. */
            case_id: string | null;
            id: string;
            text: string;
        };
        /** @description A one-tap the door's box answered. */
        TapAnsweredV1: {
            /** Format: uuid */
            command_id: string;
            /**
             * Format: double
             * @description From the caller to the door, rounded to whole metres.
             */
            distance_m: number;
            /** @description The door's name. */
            door: string;
            door_id: string;
            /** @description The box's reason code (`resident`, `outside_visitor_window`, `replayed`, …). */
            reason: string;
        };
        TapBody: {
            /** Format: double */
            lat: number;
            /** Format: double */
            lon: number;
        };
        /** @description A one-tap the door's box did not answer (offline, or too slow). */
        TapUnansweredV1: {
            /** Format: uuid */
            command_id: string;
            /**
             * Format: double
             * @description From the caller to the door, rounded to whole metres.
             */
            distance_m: number;
            /** @description The door's name. */
            door: string;
            door_id: string;
            message: string;
        };
        /** @description A Modbus TCP controller or gateway. */
        TcpV1: {
            /** @description host:port */
            address: string;
        };
        /** @description Where a case stands against its active deadline, as a code. */
        TimelinessV1: ("on_time" | "overdue") | "no_deadline" | "due_soon";
        ToCaseBody: {
            category: components["schemas"]["CategoryPath"];
            grid: components["schemas"]["GridPathInput"];
            /** @default null */
            location: components["schemas"]["LocationInput"] | null;
        };
        /** @description A building of the device tree. */
        TreeBuildingV1: {
            id: string;
            name: string | null;
            units: components["schemas"]["TreeUnitV1"][];
        };
        /** @description An estate of the device tree. */
        TreeEstateV1: {
            buildings: components["schemas"]["TreeBuildingV1"][];
            id: string;
            name: string | null;
        };
        /** @description A unit of the device tree. */
        TreeUnitV1: {
            devices: components["schemas"]["DeviceInTreeV1"][];
            /** @description Empty for the building's devices that are in no unit. */
            id: string;
            /** @description `null` for the group of devices in no unit. */
            name: string | null;
        };
        /** @description The kinds of unit a case is handled or co-handled by (处理类型 / 协办人员类型, §2.1.3). */
        UnitKind: "internal_department" | "city_bureau" | "grid_office" | "neighbourhood_committee" | "grid_worker" | "street_staff" | "community_worker" | "volunteer";
        /** @description A unit of a building, with its rooms. */
        UnitV1: {
            id: string;
            name: string;
            rooms: components["schemas"]["NamedV1"][];
        };
        /** @description One box's verdict on one photo, as stored. */
        Verdict: {
            accepted: boolean;
            /** Format: int64 */
            at_ms: number;
            box_id: string;
            reasons: string[];
        };
        VisitBody: {
            /**
             * @description Which of the host's estates, when the host has homes in more than one.
             * @default null
             */
            estate_id: string | null;
            host_phone: string;
            reason: string;
            /** Format: int64 */
            visit_at_ms: number;
        };
        /** @description A visit's id and stored status, answered when it is requested, decided or cancelled. */
        VisitStatusV1: {
            id: string;
            /** @description pending | approved | refused | cancelled */
            status: string;
        };
        /** @description One visit, as its visitor or its host sees it. */
        VisitV1: {
            /** @description The host's estate; `null` to the visitor until the host approved. */
            estate_id: string | null;
            /** @description The host's name, masked to the visitor until the host approved. */
            host: string;
            id: string;
            reason: string;
            /**
             * @description The status with time applied: pending | approved | refused | cancelled, or `visited` /
             *     `expired` once the window of an approved / pending visit has passed.
             */
            state: string;
            /** Format: int64 */
            visit_at_ms: number;
            visitor: string;
            /** @description When the visitor may pass: [visit − 1 h, visit + 1 h], in ms. */
            window: number[];
        };
        VoidInfo: {
            /** Format: int64 */
            at_ms: number;
            by: string;
            /**
             * @description Set when voided as a duplicate (FixMyStreet's "duplicate" links to the original).
             * @default null
             */
            duplicate_of: components["schemas"]["CaseLink"] | null;
            reason: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    get_open311_v2_requests_json: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GeoRequestV1"][];
                };
            };
            /** @description error (GeoReport's shape) */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GeoErrorV1"][];
                };
            };
        };
    };
    post_open311_v2_requests_json: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/octet-stream": string;
            };
        };
        responses: {
            /** @description created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GeoRequestFiledV1"][];
                };
            };
            /** @description error (GeoReport's shape) */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GeoErrorV1"][];
                };
            };
        };
    };
    get_open311_v2_requests_request_file: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                request_file: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GeoRequestV1"][];
                };
            };
            /** @description error (GeoReport's shape) */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GeoErrorV1"][];
                };
            };
        };
    };
    get_open311_v2_services_json: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GeoServiceV1"][];
                };
            };
            /** @description error (GeoReport's shape) */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GeoErrorV1"][];
                };
            };
        };
    };
    get_openapi_json: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OpenApiV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_app_address_applications: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ApplyBody"];
            };
        };
        responses: {
            /** @description created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApplicationPostedV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_app_attachments: {
        parameters: {
            query?: {
                community_id?: string | null;
                name?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/octet-stream": string;
            };
        };
        responses: {
            /** @description created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AttachmentV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_app_cases: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ReportBody"];
            };
        };
        responses: {
            /** @description created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CaseV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_app_cases_mine: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Items_CaseRowV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_app_notifications: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Items_NotificationV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_app_onetap: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TapBody"];
            };
        };
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OneTapV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_app_signup: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SignupBody"];
            };
        };
        responses: {
            /** @description created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SignupV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_app_suggestions: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SuggestionBody"];
            };
        };
        responses: {
            /** @description created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SuggestionPostedV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_app_visits: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["VisitBody"];
            };
        };
        responses: {
            /** @description created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["VisitStatusV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_app_visits_visit_id_cancel: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                visit_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["VisitStatusV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_app_visits_visit_id_decide: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                visit_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DecideBody"];
            };
        };
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["VisitStatusV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_app_visits_hosting: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Items_VisitV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_app_visits_mine: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Items_VisitV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_auth_login: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["LoginBody"];
            };
        };
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SessionV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_auth_logout: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_address_applications: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Items_AddressApplicationV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_communities_community_id_address_applications_application_id_decide: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                application_id: string;
                community_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DecideBody"];
            };
        };
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApplicationStatusV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_alarm_events: {
        parameters: {
            query?: {
                before?: string | null;
                box_id?: string | null;
                estate_id?: string | null;
                from_ms?: number | null;
                kind?: string | null;
                limit?: number | null;
                severity?: string | null;
                state?: string | null;
                to_ms?: number | null;
            };
            header?: never;
            path: {
                community_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_AlarmEventV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_alarms: {
        parameters: {
            query?: {
                before?: string | null;
                box_id?: string | null;
                building_id?: string | null;
                device_id?: string | null;
                estate_id?: string | null;
                from_ms?: number | null;
                kind?: string | null;
                limit?: number | null;
                severity?: string | null;
                /** @description active_unack | active_ack | cleared_unack | cleared_ack | open */
                status?: string | null;
                to_ms?: number | null;
            };
            header?: never;
            path: {
                community_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_ManagedAlarmV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_alarms_alarm_id: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                alarm_id: string;
                community_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ManagedAlarmWithHistoryV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_communities_community_id_alarms_alarm_id_ack: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                alarm_id: string;
                community_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CommentBody"];
            };
        };
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ManagedAlarmV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_communities_community_id_alarms_alarm_id_case: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                alarm_id: string;
                community_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["FromAlarmBody"];
            };
        };
        responses: {
            /** @description created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CaseV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_communities_community_id_alarms_alarm_id_clear: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                alarm_id: string;
                community_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CommentBody"];
            };
        };
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ManagedAlarmV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_alarms_feed: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description server-sent events; each event's data is JSON of the schema in x-event-data */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": string;
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_communities_community_id_attachments: {
        parameters: {
            query?: {
                community_id?: string | null;
                name?: string | null;
            };
            header?: never;
            path: {
                community_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/octet-stream": string;
            };
        };
        responses: {
            /** @description created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AttachmentV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_attachments_attachment_id: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                attachment_id: string;
                community_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description file */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/pdf": string;
                    "image/jpeg": string;
                    "image/png": string;
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_boxes: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Items_BoxV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_communities_community_id_boxes: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["BoxBody"];
            };
        };
        responses: {
            /** @description created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BoxCreatedV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_communities_community_id_boxes_box_id_code: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                box_id: string;
                community_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProvisioningCodeV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_boxes_box_id_config: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                box_id: string;
                community_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BoxConfigViewV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    put_v1_communities_community_id_boxes_box_id_config: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                box_id: string;
                community_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["BoxConfigBody"];
            };
        };
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BoxConfigViewV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_communities_community_id_boxes_box_id_revoke: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                box_id: string;
                community_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_communities_community_id_buildings_building_id_units: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                building_id: string;
                community_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["NameBody"];
            };
        };
        responses: {
            /** @description created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["NamedV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_case_categories: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CategoryTree"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_case_workers: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Items_CaseWorkerV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_cases: {
        parameters: {
            query?: {
                before?: string | null;
                category?: string | null;
                from_ms?: number | null;
                /** @description Any grid level. */
                grid?: string | null;
                /** @description The handling unit's kind (`city_bureau`, `grid_worker`, …). */
                handling_kind?: string | null;
                keyword?: string | null;
                limit?: number | null;
                number?: string | null;
                source?: string | null;
                status?: string | null;
                /** @description overdue | due_soon */
                timeliness?: string | null;
                to_ms?: number | null;
                unit?: string | null;
                /** @description all | pending | finished | co_handling | dispatch | mine | self_handled | supervision */
                view?: string | null;
            };
            header?: never;
            path: {
                community_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_CaseRowV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_communities_community_id_cases: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ReportBody"];
            };
        };
        responses: {
            /** @description created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CaseV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_cases_case_id: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                case_id: string;
                community_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CaseDetailV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_cases_case_id_duplicates: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                case_id: string;
                community_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Items_DupMatch"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_cases_case_id_export_docx: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                case_id: string;
                community_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description file */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": string;
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_communities_community_id_cases_case_id_ops: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                case_id: string;
                community_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CaseOp"];
            };
        };
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CaseV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_cases_case_id_print: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                case_id: string;
                community_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description file */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/html; charset=utf-8": string;
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_cases_export_xlsx: {
        parameters: {
            query?: {
                before?: string | null;
                category?: string | null;
                from_ms?: number | null;
                /** @description Any grid level. */
                grid?: string | null;
                /** @description The handling unit's kind (`city_bureau`, `grid_worker`, …). */
                handling_kind?: string | null;
                keyword?: string | null;
                limit?: number | null;
                number?: string | null;
                source?: string | null;
                status?: string | null;
                /** @description overdue | due_soon */
                timeliness?: string | null;
                to_ms?: number | null;
                unit?: string | null;
                /** @description all | pending | finished | co_handling | dispatch | mine | self_handled | supervision */
                view?: string | null;
            };
            header?: never;
            path: {
                community_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description file */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": string;
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_devices: {
        parameters: {
            query?: {
                box_id?: string | null;
                building_id?: string | null;
                estate_id?: string | null;
                kind?: string | null;
                /** @description Include removed devices. */
                removed?: boolean;
            };
            header?: never;
            path: {
                community_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Items_DeviceV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_communities_community_id_devices: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DeviceBody"];
            };
        };
        responses: {
            /** @description created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeviceV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_devices_device_id: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
                device_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeviceDetailV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    put_v1_communities_community_id_devices_device_id: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
                device_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DeviceBody"];
            };
        };
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeviceV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    delete_v1_communities_community_id_devices_device_id: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
                device_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_devices_device_id_records: {
        parameters: {
            query?: {
                limit?: number | null;
            };
            header?: never;
            path: {
                community_id: string;
                device_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Items_DeviceRecordV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_communities_community_id_devices_device_id_records: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
                device_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RecordBody"];
            };
        };
        responses: {
            /** @description created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeviceRecordAddedV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_devices_tree: {
        parameters: {
            query?: {
                box_id?: string | null;
                building_id?: string | null;
                estate_id?: string | null;
                kind?: string | null;
                /** @description Include removed devices. */
                removed?: boolean;
            };
            header?: never;
            path: {
                community_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeviceTreeV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_doors: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Items_DoorV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_communities_community_id_doors: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DoorBody"];
            };
        };
        responses: {
            /** @description created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DoorCreatedV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    put_v1_communities_community_id_doors_door_id_mode: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
                door_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ModeBody"];
            };
        };
        responses: {
            /** @description done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_estates: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Items_EstateV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_communities_community_id_estates: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EstateBody"];
            };
        };
        responses: {
            /** @description created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["NamedV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_estates_estate_id: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
                estate_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EstateTreeV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_communities_community_id_estates_estate_id_buildings: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
                estate_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["NameBody"];
            };
        };
        responses: {
            /** @description created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["NamedV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_face_photos: {
        parameters: {
            query?: {
                before?: string | null;
                limit?: number | null;
                person_id?: string | null;
                status?: string | null;
            };
            header?: never;
            path: {
                community_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_FaceReviewPhotoV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_face_photos_photo_id: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
                photo_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FaceReviewPhotoV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    delete_v1_communities_community_id_face_photos_photo_id: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
                photo_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_communities_community_id_face_photos_photo_id_approve: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
                photo_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FaceReviewPhotoV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_face_photos_photo_id_image: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
                photo_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description file */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "image/jpeg": string;
                    "image/png": string;
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_communities_community_id_face_photos_photo_id_reject: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
                photo_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RejectBody"];
            };
        };
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FaceReviewPhotoV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_face_settings: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FaceSettingsV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    put_v1_communities_community_id_face_settings: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SettingsBody"];
            };
        };
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FaceSettingsV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_grids: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Items_GridV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_communities_community_id_grids: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["GridBody"];
            };
        };
        responses: {
            /** @description created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GridV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_overview: {
        parameters: {
            query: {
                /** @description Count passes from this time (ms); usually the start of today. */
                since_ms: number;
            };
            header?: never;
            path: {
                community_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OverviewV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_passes: {
        parameters: {
            query?: {
                allowed?: boolean | null;
                before?: string | null;
                door_id?: string | null;
                estate_id?: string | null;
                from_ms?: number | null;
                limit?: number | null;
                method?: string | null;
                person_id?: string | null;
                to_ms?: number | null;
            };
            header?: never;
            path: {
                community_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_PassLogV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_passes_pass_id_thumbnail: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
                pass_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description file */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "image/jpeg": string;
                    "image/png": string;
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_people: {
        parameters: {
            query?: {
                limit?: number | null;
                offset?: number | null;
                q?: string | null;
            };
            header?: never;
            path: {
                community_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PeoplePageV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_communities_community_id_people: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PersonBody"];
            };
        };
        responses: {
            /** @description created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PersonCreatedV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_people_person_id: {
        parameters: {
            query?: {
                reveal?: boolean | null;
            };
            header?: never;
            path: {
                community_id: string;
                person_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PersonV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_communities_community_id_people_person_id_activation: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
                person_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ActivationCodeV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_communities_community_id_people_person_id_addresses: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
                person_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AddressBody"];
            };
        };
        responses: {
            /** @description created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AddressAddedV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    delete_v1_communities_community_id_people_person_id_addresses_room_id: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
                person_id: string;
                room_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    put_v1_communities_community_id_people_person_id_enabled: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
                person_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EnabledBody"];
            };
        };
        responses: {
            /** @description done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    put_v1_communities_community_id_people_person_id_face_consent: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
                person_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ConsentBody"];
            };
        };
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FaceConsentV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_communities_community_id_people_person_id_face_photos: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
                person_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/octet-stream": string;
            };
        };
        responses: {
            /** @description created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FacePhotoUploadedV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_people_person_id_staff_rights: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
                person_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["StaffRightsV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    put_v1_communities_community_id_people_person_id_staff_rights: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
                person_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["StaffRightsBody"];
            };
        };
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["StaffRightsV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_suggestions: {
        parameters: {
            query?: {
                before?: string | null;
                limit?: number | null;
            };
            header?: never;
            path: {
                community_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_SuggestionV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_communities_community_id_suggestions_suggestion_id_case: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
                suggestion_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ToCaseBody"];
            };
        };
        responses: {
            /** @description created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CaseV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_communities_community_id_units_unit_id_rooms: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                community_id: string;
                unit_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["NameBody"];
            };
        };
        responses: {
            /** @description created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["NamedV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_communities_community_id_visits: {
        parameters: {
            query?: {
                before?: string | null;
                estate_id?: string | null;
                /** @description Visits whose time is at or after this (ms). */
                from_ms?: number | null;
                limit?: number | null;
                /** @description pending | approved | refused | cancelled (the stored status). */
                status?: string | null;
                /** @description Visits whose time is before this (ms). */
                to_ms?: number | null;
            };
            header?: never;
            path: {
                community_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_StaffVisitV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_console_session: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConsoleSessionV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_console_session: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["LoginBody"];
            };
        };
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConsoleSessionV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_edge_commands: {
        parameters: {
            query?: {
                wait_ms?: number | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EdgeCommandBatchV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_edge_commands_outcome: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EdgeCommandOutcomeV1"];
            };
        };
        responses: {
            /** @description done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_edge_config_report: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EdgeBoxConfigReportV1"];
            };
        };
        responses: {
            /** @description done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_edge_face_photos_photo_id: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                photo_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description file */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "image/jpeg": string;
                    "image/png": string;
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_edge_provision: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EdgeProvisionRequestV1"];
            };
        };
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EdgeProvisionResponseV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_edge_sync_down: {
        parameters: {
            query: {
                /**
                 * @description The newest configuration revision the box has judged (applied or refused); a newer one
                 *     comes with the delta. Absent from a box that predates configuration from the cloud.
                 */
                config?: number;
                cursor: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EdgeDownDeltaV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_edge_sync_up: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EdgeUplinkBatchV1"];
            };
        };
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EdgeUplinkAckV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_health: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HealthV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_me: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AccountV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_ready: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReadyV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_street_accounts: {
        parameters: {
            query?: {
                community_id?: string | null;
                enabled?: boolean | null;
                limit?: number | null;
                offset?: number | null;
                /** @description Part of the user name (case-insensitive). */
                q?: string | null;
                role?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["StaffAccountsPageV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_street_accounts: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["StaffBody"];
            };
        };
        responses: {
            /** @description created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["StaffAccountV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_street_accounts_account_id_disable: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                account_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_street_address_applications: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Items_AddressApplicationV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_street_address_applications_application_id_decide: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                application_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DecideBody"];
            };
        };
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApplicationStatusV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    put_v1_street_case_categories: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CategoryTree"];
            };
        };
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CategoryTree"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    get_v1_street_communities: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Items_NamedV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_street_communities: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["NameBody"];
            };
        };
        responses: {
            /** @description created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["NamedV1"];
                };
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
    post_v1_street_people_person_id_move: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                person_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MoveBody"];
            };
        };
        responses: {
            /** @description done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description error */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBodyV1"];
                };
            };
        };
    };
}
