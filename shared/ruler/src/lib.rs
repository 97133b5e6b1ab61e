//! The Lakewatch ruler (issue 5): Prometheus-format alerting and recording rules (and Loki-style
//! LogQL rule groups), evaluated on a schedule, with alerts sent to Alertmanager.
//!
//! - [`rules`]: rule files (YAML groups) → [`RuleFile`], validated with promtool's messages.
//! - [`template`]: Prometheus's alert template language for labels and annotations.
//! - [`alert`]: the alert state kept between evaluations.
//! - [`eval`]: one evaluation of a rule group at a time: alert state machine (`for`,
//!   `keep_firing_for`), recording rules, `ALERTS` / `ALERTS_FOR_STATE` samples.
//! - [`notifier`]: Alertmanager `/api/v2/alerts` client (resend, resolved, auth, retries).
//! - [`promtool`]: runs `promtool test rules` unit-test files through [`eval`].
//! - [`store`]: rule namespaces per tenant in the object store ([`store::RulesStore`]).
//! - [`state_store`]: each group's evaluation state and lease in the object store.
//! - [`schedule`]: the scheduled ruler: one pass evaluates every due group of every tenant.

pub mod alert;
pub mod eval;
pub mod lease;
pub mod notifier;
pub mod promtool;
pub mod rules;
pub mod schedule;
pub mod state_store;
pub mod store;
pub mod template;

pub use alert::{Alert, AlertState};
pub use rules::{ExprLanguage, Rule, RuleFile, RuleGroup};
