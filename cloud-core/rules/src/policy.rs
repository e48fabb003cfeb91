//! Who may call what — decided in one place.
//!
//! Every route is declared once in the route table (`server::routes`) with an [`Access`] rule.
//! The guard middleware authenticates the caller (session token, or a box's request signature)
//! and applies the rule before any handler runs; [`decide`] is the pure part. Community-scoped
//! routes carry `{community_id}` in their path: the guard checks it against the caller's scope,
//! and handlers filter every query by it, so an id from another community is simply not found.

use serde::Serialize;

/// Roles of accounts. Staff roles use the web console; the others use the phone app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    StreetAdmin,
    CommunityStaff,
    Resident,
    Visitor,
    Enterprise,
    /// Back-office case workers (§2.6): app-side staff and volunteers (工作端), seat operators
    /// (坐席员), co-handling units (协办) and dispatchers (分转员). They reach only the case
    /// routes, of their community (or of every community when street-wide).
    FieldStaff,
    SeatOperator,
    CoHandler,
    Dispatcher,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::StreetAdmin,
        Role::CommunityStaff,
        Role::Resident,
        Role::Visitor,
        Role::Enterprise,
        Role::FieldStaff,
        Role::SeatOperator,
        Role::CoHandler,
        Role::Dispatcher,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Role::StreetAdmin => "street_admin",
            Role::CommunityStaff => "community_staff",
            Role::Resident => "resident",
            Role::Visitor => "visitor",
            Role::Enterprise => "enterprise",
            Role::FieldStaff => "field_staff",
            Role::SeatOperator => "seat_operator",
            Role::CoHandler => "co_handler",
            Role::Dispatcher => "dispatcher",
        }
    }
    /// Case workers that are not community staff.
    pub fn is_case_worker(self) -> bool {
        matches!(
            self,
            Role::FieldStaff | Role::SeatOperator | Role::CoHandler | Role::Dispatcher
        )
    }
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == s)
    }
    pub fn is_app(self) -> bool {
        matches!(self, Role::Resident | Role::Visitor | Role::Enterprise)
    }
}

/// An authenticated account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub role: Role,
    /// Set for community staff (their community) and for residents (their home community).
    pub community_id: Option<String>,
    /// Set for app accounts: the person they are.
    pub person_id: Option<String>,
}

/// An authenticated edge box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeBox {
    pub box_id: String,
    pub community_id: String,
    pub estate_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Anonymous,
    Account(Account),
    Edge(EdgeBox),
}

/// The rule a route is declared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// No credentials (health, login, sign-up, the OpenAPI document, provisioning by code).
    Public,
    /// Any signed-in account.
    Account,
    /// Street accounts only (whole street).
    Street,
    /// Path has `{community_id}`: a street account, or staff of exactly that community.
    Community,
    /// App accounts (resident, visitor, enterprise); handlers scope to the caller's person.
    App,
    /// A provisioned, unrevoked edge box, by its request signature.
    Edge,
    /// Path has `{community_id}`: a street account, staff of that community, or a case worker
    /// of that community (or street-wide). What each may do to a case is the case core's call.
    Cases,
}

impl Access {
    pub fn code(self) -> &'static str {
        match self {
            Access::Public => "public",
            Access::Account => "account",
            Access::Street => "street",
            Access::Community => "community",
            Access::App => "app",
            Access::Edge => "edge",
            Access::Cases => "cases",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// No or unknown credentials: 401.
    Unauthenticated,
    /// Known caller, not allowed here: 403.
    Forbidden(&'static str),
}

/// The pure decision: may `caller` use a route with rule `access`, for `path_community` (the
/// `{community_id}` in the path, if any)?
pub fn decide(access: Access, caller: &Caller, path_community: Option<&str>) -> Result<(), Denied> {
    use Denied::*;
    match access {
        Access::Public => Ok(()),
        Access::Edge => match caller {
            Caller::Edge(_) => Ok(()),
            Caller::Anonymous => Err(Unauthenticated),
            Caller::Account(_) => Err(Forbidden("only edge boxes may call this")),
        },
        _ => {
            let acct = match caller {
                Caller::Account(a) => a,
                Caller::Anonymous => return Err(Unauthenticated),
                Caller::Edge(_) => return Err(Forbidden("edge boxes may only call /v1/edge")),
            };
            match access {
                Access::Account => Ok(()),
                Access::Street if acct.role == Role::StreetAdmin => Ok(()),
                Access::Street => Err(Forbidden("needs a street account")),
                Access::App if acct.role.is_app() => Ok(()),
                Access::App => Err(Forbidden("needs an app account")),
                Access::Community => match (acct.role, path_community) {
                    (Role::StreetAdmin, Some(_)) => Ok(()),
                    (Role::CommunityStaff, Some(c)) if acct.community_id.as_deref() == Some(c) => {
                        Ok(())
                    }
                    (Role::CommunityStaff, Some(_)) => {
                        Err(Forbidden("this community is outside your account's scope"))
                    }
                    (_, None) => Err(Forbidden("route has no community in its path")),
                    _ => Err(Forbidden("needs a staff account")),
                },
                Access::Cases => match (acct.role, path_community) {
                    (_, None) => Err(Forbidden("route has no community in its path")),
                    (Role::StreetAdmin, Some(_)) => Ok(()),
                    (Role::CommunityStaff, Some(c)) if acct.community_id.as_deref() == Some(c) => {
                        Ok(())
                    }
                    (r, Some(c))
                        if r.is_case_worker()
                            && acct.community_id.as_deref().is_none_or(|own| own == c) =>
                    {
                        Ok(())
                    }
                    (r, Some(_)) if r == Role::CommunityStaff || r.is_case_worker() => {
                        Err(Forbidden("this community is outside your account's scope"))
                    }
                    _ => Err(Forbidden("needs a staff or case-worker account")),
                },
                Access::Public | Access::Edge => Ok(()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acct(role: Role, community: Option<&str>) -> Caller {
        Caller::Account(Account {
            id: "a".into(),
            role,
            community_id: community.map(str::to_string),
            person_id: None,
        })
    }

    /// The whole matrix: every rule × every kind of caller × own / foreign community.
    #[test]
    fn decision_matrix() {
        let edge = Caller::Edge(EdgeBox {
            box_id: "b".into(),
            community_id: "c1".into(),
            estate_id: "e".into(),
        });
        let street = acct(Role::StreetAdmin, None);
        let staff1 = acct(Role::CommunityStaff, Some("c1"));
        let res = acct(Role::Resident, Some("c1"));
        let vis = acct(Role::Visitor, None);
        let ok = |a, c: &Caller, p| decide(a, c, p).is_ok();
        for c in [&Caller::Anonymous, &edge, &street, &staff1, &res, &vis] {
            assert!(ok(Access::Public, c, None));
        }
        assert!(!ok(Access::Account, &Caller::Anonymous, None));
        assert!(!ok(Access::Account, &edge, None));
        assert!(ok(Access::Account, &vis, None));
        assert!(ok(Access::Street, &street, None));
        for c in [&staff1, &res, &vis, &edge, &Caller::Anonymous] {
            assert!(!ok(Access::Street, c, None));
        }
        assert!(ok(Access::Community, &street, Some("c2")));
        assert!(ok(Access::Community, &staff1, Some("c1")));
        assert_eq!(
            decide(Access::Community, &staff1, Some("c2")),
            Err(Denied::Forbidden(
                "this community is outside your account's scope"
            ))
        );
        assert!(!ok(Access::Community, &staff1, None));
        assert!(!ok(Access::Community, &res, Some("c1")));
        assert!(!ok(Access::Community, &edge, Some("c1")));
        assert_eq!(
            decide(Access::Community, &Caller::Anonymous, Some("c1")),
            Err(Denied::Unauthenticated)
        );
        assert!(ok(Access::App, &res, None));
        assert!(ok(Access::App, &vis, None));
        assert!(!ok(Access::App, &staff1, None));
        assert!(!ok(Access::App, &street, None));
        assert!(ok(Access::Edge, &edge, None));
        assert!(!ok(Access::Edge, &street, None));
        // Case routes: staff of the community, case workers of it or street-wide; nobody else.
        let seat1 = acct(Role::SeatOperator, Some("c1"));
        let dispatcher_all = acct(Role::Dispatcher, None);
        let field2 = acct(Role::FieldStaff, Some("c2"));
        for c in [&street, &staff1, &seat1, &dispatcher_all] {
            assert!(ok(Access::Cases, c, Some("c1")), "{c:?}");
        }
        for c in [&field2, &res, &vis, &edge] {
            assert!(!ok(Access::Cases, c, Some("c1")), "{c:?}");
        }
        assert!(!ok(Access::Cases, &staff1, Some("c2")));
        assert!(!ok(Access::Cases, &street, None));
        // Case workers reach nothing else.
        for a in [Access::Community, Access::Street, Access::App] {
            for c in [&seat1, &dispatcher_all, &field2] {
                assert!(!ok(a, c, Some("c1")), "{a:?} {c:?}");
            }
        }
        assert_eq!(
            decide(Access::Edge, &Caller::Anonymous, None),
            Err(Denied::Unauthenticated)
        );
    }
}
