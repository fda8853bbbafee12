//! Retention policies: which snapshots `prune` keeps (IRetentionPolicy).
//!
//! The rules follow restic's `forget`, so users of restic, borg and kopia meet no surprises:
//! `keepLast n` keeps the n newest snapshots; `keepHourly/Days/Weeks/Months/Yearly n` keeps,
//! for each of the n most recent hours (days, ISO weeks, months, years) that have
//! snapshots, the newest snapshot of that period; `keepTags` keeps every snapshot with one
//! of the given tags (`key` or `key=value`). A snapshot kept by any rule is kept. Periods
//! are in UTC. A policy with no rule is refused, so that a typo cannot delete everything.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The name of the period (hour, day, ...) a time falls in.
type PeriodOf = fn(DateTime<Utc>) -> String;

/// Which snapshots to keep.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RetentionPolicy {
    /// Keep the n newest snapshots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_last: Option<u32>,
    /// Keep the newest snapshot of each of the n most recent hours with snapshots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_hourly: Option<u32>,
    /// The same per day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_days: Option<u32>,
    /// The same per ISO week.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_weeks: Option<u32>,
    /// The same per month.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_months: Option<u32>,
    /// The same per year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_yearly: Option<u32>,
    /// Keep every snapshot that has one of these tags (`key` or `key=value`).
    #[serde(default)]
    pub keep_tags: Vec<String>,
}

/// What the policy is asked about: one snapshot.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    /// Its id.
    pub id: &'a str,
    /// Its creation time in ms.
    pub time_ms: i64,
    /// Its tags.
    pub tags: &'a BTreeMap<String, String>,
}

impl RetentionPolicy {
    /// Refuses a policy with no rule.
    pub fn validate(&self) -> Result<()> {
        let counts = [
            self.keep_last,
            self.keep_hourly,
            self.keep_days,
            self.keep_weeks,
            self.keep_months,
            self.keep_yearly,
        ];
        if counts.iter().all(Option::is_none) && self.keep_tags.is_empty() {
            return Err(Error::InvalidArgument(
                "the retention policy keeps nothing: give at least one of keepLast, keepHourly, keepDays, keepWeeks, keepMonths, keepYearly, keepTags".into(),
            ));
        }
        Ok(())
    }

    /// The ids to keep, each with the rules that keep it (in rule order).
    pub fn keep(&self, snapshots: &[Candidate<'_>]) -> Result<BTreeMap<String, Vec<&'static str>>> {
        self.validate()?;
        let mut order: Vec<&Candidate> = snapshots.iter().collect();
        order.sort_by(|a, b| (b.time_ms, b.id).cmp(&(a.time_ms, a.id)));
        let mut kept: BTreeMap<String, Vec<&'static str>> = BTreeMap::new();
        if let Some(n) = self.keep_last {
            for s in order.iter().take(n as usize) {
                kept.entry(s.id.to_string()).or_default().push("last");
            }
        }
        let periods: [(Option<u32>, &'static str, PeriodOf); 5] = [
            (self.keep_hourly, "hourly", |t| {
                t.format("%Y-%m-%dT%H").to_string()
            }),
            (self.keep_days, "daily", |t| t.format("%Y-%m-%d").to_string()),
            (self.keep_weeks, "weekly", |t| {
                let w = t.iso_week();
                format!("{}-W{:02}", w.year(), w.week())
            }),
            (self.keep_months, "monthly", |t| t.format("%Y-%m").to_string()),
            (self.keep_yearly, "yearly", |t| t.format("%Y").to_string()),
        ];
        for (count, rule, period_of) in periods {
            let Some(n) = count else { continue };
            let mut last: Option<String> = None;
            let mut used = 0;
            for s in &order {
                if used == n {
                    break;
                }
                let period = period_of(DateTime::<Utc>::from_timestamp_millis(s.time_ms).unwrap_or_default());
                if last.as_ref() != Some(&period) {
                    kept.entry(s.id.to_string()).or_default().push(rule);
                    last = Some(period);
                    used += 1;
                }
            }
        }
        for s in &order {
            let tagged = self.keep_tags.iter().any(|t| match t.split_once('=') {
                Some((k, v)) => s.tags.get(k).is_some_and(|x| x == v),
                None => s.tags.contains_key(t),
            });
            if tagged {
                kept.entry(s.id.to_string()).or_default().push("tag");
            }
        }
        Ok(kept)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_ms;

    /// Snapshots at the given times (ids s0, s1, ...), the first tagged `keep=yes`.
    fn run(policy: &RetentionPolicy, times: &[&str]) -> Vec<String> {
        let tags: Vec<BTreeMap<String, String>> = (0..times.len())
            .map(|i| match i {
                0 => [("keep".to_string(), "yes".to_string())].into(),
                _ => BTreeMap::new(),
            })
            .collect();
        let ids: Vec<String> = (0..times.len()).map(|i| format!("s{i}")).collect();
        let c: Vec<Candidate> = times
            .iter()
            .enumerate()
            .map(|(i, t)| Candidate {
                id: &ids[i],
                time_ms: parse_ms(t).unwrap(),
                tags: &tags[i],
            })
            .collect();
        policy.keep(&c).unwrap().into_keys().collect()
    }

    const TIMES: [&str; 9] = [
        "2026-01-01T10:00:00Z", // s0  Thu, ISO week 2026-W01
        "2026-01-01T18:00:00Z", // s1  same day, later
        "2026-01-02T09:00:00Z", // s2
        "2026-01-05T09:00:00Z", // s3  Mon, week 02
        "2026-01-05T09:30:00Z", // s4  same hour as s3
        "2026-02-10T12:00:00Z", // s5
        "2026-03-01T00:00:00Z", // s6
        "2025-12-31T23:59:59Z", // s7  previous year, week 2026-W01
        "2024-06-01T00:00:00Z", // s8
    ];

    #[test]
    fn each_rule_keeps_what_restic_would() {
        let p = |f: fn(&mut RetentionPolicy)| {
            let mut r = RetentionPolicy::default();
            f(&mut r);
            r
        };
        let table: [(RetentionPolicy, &[&str]); 9] = [
            (p(|r| r.keep_last = Some(3)), &["s4", "s5", "s6"][..]),
            (p(|r| r.keep_last = Some(0)), &[]),
            (
                p(|r| r.keep_last = Some(100)),
                &["s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8"],
            ),
            (p(|r| r.keep_hourly = Some(3)), &["s4", "s5", "s6"]),
            (p(|r| r.keep_days = Some(5)), &["s1", "s2", "s4", "s5", "s6"]),
            (p(|r| r.keep_weeks = Some(3)), &["s4", "s5", "s6"]),
            (p(|r| r.keep_months = Some(4)), &["s4", "s5", "s6", "s7"]),
            (p(|r| r.keep_yearly = Some(10)), &["s6", "s7", "s8"]),
            (p(|r| r.keep_tags = vec!["keep=yes".into()]), &["s0"]),
        ];
        for (policy, want) in table {
            assert_eq!(run(&policy, &TIMES), want, "{policy:?}");
        }
    }

    #[test]
    fn rules_combine_and_an_empty_policy_is_refused() {
        let policy = RetentionPolicy {
            keep_last: Some(1),
            keep_weeks: Some(2),
            keep_tags: vec!["keep".into()],
            ..Default::default()
        };
        assert_eq!(run(&policy, &TIMES), ["s0", "s5", "s6"]);
        let e = RetentionPolicy::default().validate().unwrap_err();
        assert_eq!(e.code(), crate::ErrorCode::InvalidArgument);
        assert!(RetentionPolicy::default().keep(&[]).is_err());
        let parsed: RetentionPolicy = serde_json::from_str(r#"{"keepLast": 2, "keepDays": 7}"#).unwrap();
        assert_eq!((parsed.keep_last, parsed.keep_days), (Some(2), Some(7)));
        assert!(
            serde_json::from_str::<RetentionPolicy>(r#"{"keepLats": 2}"#).is_err(),
            "typos are refused"
        );
    }
}
