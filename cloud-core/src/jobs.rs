//! Scheduled jobs: the one place that says what the cloud runs on its own, how often, and what
//! each run reports. Each job runs on its own task, once at start and then every `every`
//! (a slow run delays the next one, runs never overlap), until the cloud stops. A failed run is
//! logged and tried again at the next tick. Scheduled announcements will join this list.
//!
//! A job's work is a plain async function of the state and `now` (tests call it directly with
//! a chosen `now`); this module only schedules it.

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
    vec![Job {
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
    }]
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
        match (job.run)(st.clone(), crate::now_ms()).await {
            Ok(summary) => tracing::debug!(job = job.name, %summary, "scheduled job ran"),
            Err(e) => {
                tracing::warn!(job = job.name, error = %e, retry_in_s = job.every.as_secs(), "scheduled job failed; retrying at the next tick")
            }
        }
    }
}
