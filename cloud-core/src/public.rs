//! The routes anyone may call without credentials, each with what it may reveal. The route
//! table marks them `Access::Public`; a unit test fails when a public route is missing here (or
//! listed here but no longer public), so a new one cannot appear without saying what it shows.

/// One unauthenticated route and what it may reveal to anybody.
pub struct PublicRoute {
    pub method: &'static str,
    pub path: &'static str,
    pub reveals: &'static str,
}

pub const PUBLIC_ROUTES: &[PublicRoute] = &[
    PublicRoute {
        method: "GET",
        path: "/v1/health",
        reveals: "that the service runs, and its database engine (sqlite or postgres)",
    },
    PublicRoute {
        method: "GET",
        path: "/v1/ready",
        reveals: "whether this replica can serve, and the schema version it runs on",
    },
    PublicRoute {
        method: "GET",
        path: "/openapi.json",
        reveals: "the API's description: routes, rules and schemas; no data",
    },
    PublicRoute {
        method: "POST",
        path: "/v1/auth/login",
        reveals: "whether a user name and password pair is right (one answer for a wrong name, a wrong password or a disabled account; throttled per name and address)",
    },
    PublicRoute {
        method: "POST",
        path: "/v1/console/session",
        reveals: "the same as /v1/auth/login (one answer for every wrong pair, same throttle); a right pair of an app account is refused without a session",
    },
    PublicRoute {
        method: "POST",
        path: "/v1/app/signup",
        reveals: "nothing about other accounts: visitor and enterprise sign-ups answer the same whether the phone is taken or not; a resident's sign-up answers only with a valid activation code (throttled per address)",
    },
    PublicRoute {
        method: "POST",
        path: "/v1/edge/provision",
        reveals: "a box's identity, its estate's doors and the one-tap public key — only for a valid one-time code (throttled per address)",
    },
    PublicRoute {
        method: "GET",
        path: "/open311/v2/services.json",
        reveals: "the street's case categories (names and codes) for an existing community id",
    },
    PublicRoute {
        method: "GET",
        path: "/open311/v2/requests.json",
        reveals: "requests filed through Open311 only, in public form: category, status, times and the place rounded to 0.001°; no description, address or case number (the filer's own api_key shows their requests in full)",
    },
    PublicRoute {
        method: "GET",
        path: "/open311/v2/requests/{request_file}",
        reveals: "one request filed through Open311, in the same public form; any other case is 404",
    },
    PublicRoute {
        method: "POST",
        path: "/open311/v2/requests.json",
        reveals: "nothing without a valid app session token as api_key; with one, files a case as that account",
    },
];

/// What a public route may reveal, if it is listed.
pub fn reveals(method: &str, path: &str) -> Option<&'static str> {
    PUBLIC_ROUTES
        .iter()
        .find(|r| r.method == method && r.path == path)
        .map(|r| r.reveals)
}

#[cfg(test)]
mod tests {
    use crate::policy::Access;
    use std::collections::BTreeSet;

    #[test]
    fn every_public_route_says_what_it_reveals() {
        let public: BTreeSet<(String, String)> = crate::server::routes()
            .into_iter()
            .filter(|r| r.access == Access::Public)
            .map(|r| (r.method.to_string(), r.path.to_string()))
            .collect();
        let listed: BTreeSet<(String, String)> = super::PUBLIC_ROUTES
            .iter()
            .map(|r| (r.method.to_string(), r.path.to_string()))
            .collect();
        let unlisted: Vec<_> = public.difference(&listed).collect();
        assert!(
            unlisted.is_empty(),
            "public routes without an entry in public.rs: {unlisted:?}"
        );
        let stale: Vec<_> = listed.difference(&public).collect();
        assert!(
            stale.is_empty(),
            "public.rs lists routes that are not public: {stale:?}"
        );
    }
}
