//! Tenant resolution and optional per-tenant credentials (DESIGN §4).
//!
//! The tenant is `X-Scope-OrgID`, else the basic-auth user name, else `anonymous`.
//! When credentials are configured (`LAKEWATCH_AUTH_TENANTS="t1:secret1,t2:secret2"`), every
//! request must prove the tenant it names: a basic-auth password or a `Bearer` token equal to
//! that tenant's secret. A bearer token alone (no `X-Scope-OrgID`, no basic auth) selects the
//! tenant whose secret it is. Without configuration, nothing is checked.

use base64::Engine;
use http::HeaderMap;
use lakewatch_model::tenant::TenantError;
use lakewatch_model::TenantId;
use std::collections::BTreeMap;

/// Environment variable listing `tenant:secret` pairs, comma separated.
pub const AUTH_TENANTS_ENV: &str = "LAKEWATCH_AUTH_TENANTS";

/// The header naming the tenant, as in Mimir, Loki and Tempo.
pub const ORG_ID_HEADER: &str = "X-Scope-OrgID";

/// Per-tenant secrets. Empty = authentication disabled (every tenant accepted unchecked).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthConfig {
    secrets: BTreeMap<String, String>,
}

/// Why a request's tenant was refused. `Unauthorized` maps to HTTP 401 (with
/// `WWW-Authenticate: Basic`), `InvalidTenant` to 400.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AuthError {
    /// Missing or wrong credentials while authentication is configured.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// The tenant id is not acceptable (empty, too long, bad characters).
    #[error("invalid tenant: {0}")]
    InvalidTenant(#[from] TenantError),
    /// The configuration string is malformed.
    #[error("invalid {AUTH_TENANTS_ENV}: {0}")]
    BadConfig(String),
}

impl AuthConfig {
    /// No authentication: every tenant is accepted.
    pub fn disabled() -> Self {
        Self::default()
    }

    /// Parses `t1:secret1,t2:secret2` (whitespace around entries ignored; a secret may contain
    /// `:`; empty string = disabled).
    pub fn parse(spec: &str) -> Result<Self, AuthError> {
        let mut secrets = BTreeMap::new();
        for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (t, s) = entry.split_once(':').ok_or_else(|| {
                AuthError::BadConfig(format!("entry {entry:?} is not tenant:secret"))
            })?;
            let t = TenantId::new(t.trim())?;
            if s.is_empty() {
                return Err(AuthError::BadConfig(format!("empty secret for tenant {t}")));
            }
            secrets.insert(t.as_str().to_string(), s.to_string());
        }
        Ok(AuthConfig { secrets })
    }

    /// Reads `LAKEWATCH_AUTH_TENANTS`; unset or empty = disabled.
    pub fn from_env() -> Result<Self, AuthError> {
        Self::parse(&std::env::var(AUTH_TENANTS_ENV).unwrap_or_default())
    }

    /// Whether credentials are checked.
    pub fn enabled(&self) -> bool {
        !self.secrets.is_empty()
    }

    /// Adds or replaces one tenant's secret.
    pub fn with_tenant(mut self, tenant: &str, secret: &str) -> Self {
        self.secrets.insert(tenant.to_string(), secret.to_string());
        self
    }

    fn check(&self, tenant: &TenantId, secret: Option<&str>) -> Result<(), AuthError> {
        if !self.enabled() {
            return Ok(());
        }
        match (self.secrets.get(tenant.as_str()), secret) {
            (Some(want), Some(got)) if constant_time_eq(want.as_bytes(), got.as_bytes()) => Ok(()),
            (None, _) => Err(AuthError::Unauthorized(format!("unknown tenant {tenant}"))),
            (Some(_), None) => Err(AuthError::Unauthorized("missing credentials".into())),
            (Some(_), Some(_)) => Err(AuthError::Unauthorized("wrong credentials".into())),
        }
    }

    fn tenant_for_token(&self, token: &str) -> Option<&str> {
        self.secrets
            .iter()
            .find(|(_, s)| constant_time_eq(s.as_bytes(), token.as_bytes()))
            .map(|(t, _)| t.as_str())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Credentials found in an `Authorization` header.
enum Credentials {
    Basic { user: String, password: String },
    Bearer(String),
}

fn credentials(headers: &HeaderMap) -> Option<Credentials> {
    let v = headers
        .get(http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .trim();
    let (scheme, rest) = v.split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("basic") {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .ok()?;
        let s = String::from_utf8(raw).ok()?;
        let (u, p) = s.split_once(':').unwrap_or((s.as_str(), ""));
        Some(Credentials::Basic {
            user: u.to_string(),
            password: p.to_string(),
        })
    } else if scheme.eq_ignore_ascii_case("bearer") {
        Some(Credentials::Bearer(rest.to_string()))
    } else {
        None
    }
}

/// Resolves a request's tenant (DESIGN §4): `X-Scope-OrgID`, else the basic-auth user name,
/// else a bearer token's tenant (only with credentials configured), else `anonymous`.
///
/// Errors: `InvalidTenant` for an unacceptable id (including a multi-tenant `a|b` value; use
/// [`resolve_tenants`] on query paths), `Unauthorized` when `auth` is enabled and the request
/// does not carry the named tenant's secret (basic-auth password or bearer token).
pub fn resolve_tenant(headers: &HeaderMap, auth: &AuthConfig) -> Result<TenantId, AuthError> {
    let mut v = resolve_tenants(headers, auth)?;
    if v.len() != 1 {
        return Err(AuthError::InvalidTenant(TenantError::BadChar(
            v.iter().map(|t| t.as_str()).collect::<Vec<_>>().join("|"),
        )));
    }
    Ok(v.remove(0))
}

/// Like [`resolve_tenant`] but accepts a multi-tenant `X-Scope-OrgID: a|b` (as Mimir/Loki do
/// for queries): returns the distinct tenants in header order, each checked against `auth`
/// with the same credentials.
pub fn resolve_tenants(headers: &HeaderMap, auth: &AuthConfig) -> Result<Vec<TenantId>, AuthError> {
    let creds = credentials(headers);
    let org = headers
        .get(ORG_ID_HEADER)
        .map(|v| v.to_str().map(str::trim).unwrap_or("\u{0}"))
        .filter(|s| !s.is_empty());
    let secret = match &creds {
        Some(Credentials::Basic { password, .. }) => Some(password.as_str()),
        Some(Credentials::Bearer(t)) => Some(t.as_str()),
        None => None,
    };
    let tenants: Vec<TenantId> = match (org, &creds) {
        (Some(org), _) => {
            let mut out: Vec<TenantId> = Vec::new();
            for part in org.split('|') {
                let t = TenantId::new(part.trim())?;
                if !out.contains(&t) {
                    out.push(t);
                }
            }
            out
        }
        (None, Some(Credentials::Basic { user, .. })) if !user.is_empty() => {
            vec![TenantId::new(user)?]
        }
        (None, Some(Credentials::Bearer(tok))) if auth.enabled() => {
            match auth.tenant_for_token(tok) {
                Some(t) => vec![TenantId::new(t)?],
                None => return Err(AuthError::Unauthorized("unknown token".into())),
            }
        }
        _ => vec![TenantId::anonymous()],
    };
    for t in &tenants {
        auth.check(t, secret)?;
    }
    Ok(tenants)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        m
    }

    fn basic(u: &str, p: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
        )
    }

    #[test]
    fn order_of_sources() {
        let off = AuthConfig::disabled();
        assert_eq!(resolve_tenant(&h(&[]), &off).unwrap().as_str(), "anonymous");
        let b = basic("team-a", "x");
        assert_eq!(
            resolve_tenant(&h(&[("authorization", &b)]), &off)
                .unwrap()
                .as_str(),
            "team-a"
        );
        assert_eq!(
            resolve_tenant(
                &h(&[("authorization", &b), ("x-scope-orgid", "org1")]),
                &off
            )
            .unwrap()
            .as_str(),
            "org1"
        );
        assert!(matches!(
            resolve_tenant(&h(&[("x-scope-orgid", "bad/tenant")]), &off),
            Err(AuthError::InvalidTenant(_))
        ));
        let multi = resolve_tenants(&h(&[("x-scope-orgid", "a|b|a")]), &off).unwrap();
        assert_eq!(multi.len(), 2);
        assert!(resolve_tenant(&h(&[("x-scope-orgid", "a|b")]), &off).is_err());
    }

    #[test]
    fn credentials_checked_when_configured() {
        let auth = AuthConfig::parse("t1:secret1, t2:se:cret2").unwrap();
        assert!(auth.enabled());
        let ok = basic("t1", "secret1");
        assert_eq!(
            resolve_tenant(&h(&[("authorization", &ok)]), &auth)
                .unwrap()
                .as_str(),
            "t1"
        );
        let ok2 = basic("t2", "se:cret2");
        assert!(resolve_tenant(&h(&[("authorization", &ok2)]), &auth).is_ok());
        let wrong = basic("t1", "nope");
        assert!(matches!(
            resolve_tenant(&h(&[("authorization", &wrong)]), &auth),
            Err(AuthError::Unauthorized(_))
        ));
        let unknown = basic("t9", "secret1");
        assert!(matches!(
            resolve_tenant(&h(&[("authorization", &unknown)]), &auth),
            Err(AuthError::Unauthorized(_))
        ));
        assert!(matches!(
            resolve_tenant(&h(&[]), &auth),
            Err(AuthError::Unauthorized(_))
        ));
        assert!(matches!(
            resolve_tenant(&h(&[("x-scope-orgid", "t1")]), &auth),
            Err(AuthError::Unauthorized(_))
        ));
        let t = resolve_tenant(
            &h(&[
                ("x-scope-orgid", "t2"),
                ("authorization", "Bearer se:cret2"),
            ]),
            &auth,
        )
        .unwrap();
        assert_eq!(t.as_str(), "t2");
        let t = resolve_tenant(&h(&[("authorization", "Bearer secret1")]), &auth).unwrap();
        assert_eq!(t.as_str(), "t1");
        assert!(AuthConfig::parse("nocolon").is_err());
    }
}
