//! Tenants and signals: the first two elements of every object key.

use serde::{Deserialize, Serialize};

/// A tenant id as Mimir/Loki/Tempo accept it in `X-Scope-OrgID`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TenantId(String);

/// Why a tenant id was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TenantError {
    #[error("tenant ID is empty")]
    Empty,
    #[error("tenant ID is too long: max 150 characters")]
    TooLong,
    #[error("tenant ID '{0}' contains unsupported character")]
    BadChar(String),
    #[error("tenant ID is '.' or '..'")]
    Dots,
}

impl TenantId {
    /// The tenant used when a request names none.
    pub const ANONYMOUS: &'static str = "anonymous";

    /// Validates as Mimir does: 1–150 chars of `[A-Za-z0-9!-_.*'()]`, not `.`/`..`.
    pub fn new(id: &str) -> Result<Self, TenantError> {
        if id.is_empty() {
            return Err(TenantError::Empty);
        }
        if id.len() > 150 {
            return Err(TenantError::TooLong);
        }
        if id == "." || id == ".." {
            return Err(TenantError::Dots);
        }
        let ok = id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!-_.*'()".contains(c));
        if !ok {
            return Err(TenantError::BadChar(id.to_string()));
        }
        Ok(TenantId(id.to_string()))
    }

    pub fn anonymous() -> Self {
        TenantId(Self::ANONYMOUS.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for TenantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The three signals Lakewatch stores; each has its own key prefix and manifest per tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Signal {
    Metrics,
    Logs,
    Traces,
}

impl Signal {
    /// The key prefix segment: `metrics`, `logs`, `traces`.
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Metrics => "metrics",
            Signal::Logs => "logs",
            Signal::Traces => "traces",
        }
    }
}
