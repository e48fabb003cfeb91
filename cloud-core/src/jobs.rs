//! Scheduled jobs: the one place that says what the cloud runs on its own, how often, and what
//! each run reports. Each job runs on its own task, once at start and then every `every`
//! (a slow run delays the next one, runs never overlap), until the cloud stops. A failed run is
//! logged and tried again at the next tick. Scheduled announcements will join this list.
//!
//! A job's work is a plain async function of the state and `now` (tests call it directly with
//! a chosen `now`); this module only schedules it. On PostgreSQL, where replicas share the
//! database, each run takes the job's advisory lock first ([`exclusive`]): a run another replica
//! is making is skipped, so a job runs once across replicas.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::state::AppState;

type Run = fn(AppState, i64) -> Pin<Box<dyn Future<Output = Result<String, String>> + Send>>;

/// One scheduled job.
pub struct Job {
    /// For the log (`job = …`).
    pub name: &'static str,
    pub every: Duration,
    /// One run at `now` (ms); `Ok` carries a one-line summary for the log.
    pub run: Run,
}

/// Every scheduled job.
pub fn jobs() -> Vec<Job> {
    vec![
        Job {
            name: "pass_thumbnail_retention",
            every: crate::rooms::faces::PURGE_INTERVAL,
            run: |st, now| {
                Box::pin(async move {
                    crate::rooms::faces::purge_thumbnails(&st, now)
                        .await
                        .map(|r| format!("{r:?}"))
                        .map_err(|e| e.to_string())
                })
            },
        },
        Job {
            name: "expired_replay_marks_and_throttle_keys",
            every: Duration::from_secs(60),
            run: |st, now| {
                Box::pin(async move {
                    let marks = crate::replay::forget_expired(&st, now)
                        .await
                        .map_err(|e| e.to_string())?;
                    let keys = crate::throttles::forget_expired(&st, now)
                        .await
                        .map_err(|e| e.to_string())?;
                    Ok(format!(
                        "{marks} replay marks and {keys} throttle keys expired"
                    ))
                })
            },
        },
    ]
}

/// Start every job; each stops when `stop` turns true (or its sender is dropped).
pub fn start(st: &AppState, stop: &watch::Sender<bool>) -> Vec<JoinHandle<()>> {
    jobs()
        .into_iter()
        .map(|job| tokio::spawn(run_job(job, st.clone(), stop.subscribe())))
        .collect()
}

async fn run_job(job: Job, st: AppState, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(job.every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            r = stop.changed() => {
                if r.is_err() || *stop.borrow() {
                    return;
                }
                continue;
            }
        }
        let ran = exclusive(&st, job.name, (job.run)(st.clone(), crate::now_ms())).await;
        match ran {
            Ok(Some(Ok(summary))) => {
                tracing::debug!(job = job.name, %summary, "scheduled job ran")
            }
            Ok(None) => tracing::debug!(job = job.name, "another replica is running this job"),
            Ok(Some(Err(e))) => {
                tracing::warn!(job = job.name, error = %e, retry_in_s = job.every.as_secs(), "scheduled job failed; retrying at the next tick")
            }
            Err(e) => {
                tracing::warn!(job = job.name, error = %e, "scheduled job: its lock could not be taken; retrying at the next tick")
            }
        }
    }
}

/// The advisory lock key of a job: FNV-1a of its name (stable across builds and replicas).
fn lock_key(name: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h as i64
}

/// Run `work` unless another replica is running the job `name` now (`Ok(None)`). On
/// PostgreSQL it holds `pg_try_advisory_lock` on one connection for the run (released with the
/// connection if this process dies); SQLite has one process and runs it at once.
pub async fn exclusive<T>(
    st: &AppState,
    name: &str,
    work: impl Future<Output = T>,
) -> Result<Option<T>, sqlx::Error> {
    use sqlx::Row as _;
    if st.db.engine != crate::db::Engine::Postgres {
        return Ok(Some(work.await));
    }
    let mut conn = st.db.pool.acquire().await?;
    let key = lock_key(name);
    let got: bool = sqlx::query("SELECT pg_try_advisory_lock($1)")
        .bind(key)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    if !got {
        return Ok(None);
    }
    let out = work.await;
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(key)
        .execute(&mut *conn)
        .await?;
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_keys_are_stable_and_distinct() {
        assert_eq!(
            lock_key("pass_thumbnail_retention"),
            lock_key("pass_thumbnail_retention")
        );
        let names: Vec<_> = jobs().iter().map(|j| lock_key(j.name)).collect();
        let mut d = names.clone();
        d.sort();
        d.dedup();
        assert_eq!(d.len(), names.len());
    }
}
