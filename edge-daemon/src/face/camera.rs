//! One task per configured camera: while its presence input is on (read through the bus
//! owner's queue like every other Modbus request) — or all the time without one — it GETs a
//! snapshot every `interval_ms` and runs it through the same face pass as a pushed frame.
//! Camera failures are logged with back-off, never retried in a tight loop.

use std::time::Duration;

use tokio::sync::watch;

use crate::config::face::CameraConfig;
use crate::face::keeper::{face_pass, FaceHandle};
use crate::gate::keeper::GatekeeperHandle;
use crate::gate::modbus::bus::{BusHandle, Op, Reply};
use crate::store::Store;

pub async fn run(
    cam: CameraConfig,
    presence_bus: Option<BusHandle>,
    max_frame_bytes: usize,
    face: FaceHandle,
    gk: GatekeeperHandle,
    store: Store,
    mut stop: watch::Receiver<bool>,
) {
    let http = match reqwest::Client::builder()
        .timeout(Duration::from_millis(cam.timeout_ms))
        .build()
    {
        Ok(h) => h,
        Err(e) => {
            tracing::error!(door = %cam.door, error = %e, "camera client not built");
            return;
        }
    };
    let mut failures = 0u32;
    tracing::info!(door = %cam.door, presence = cam.presence.is_some(), interval_ms = cam.interval_ms, "camera started");
    loop {
        let present = match (&cam.presence, &presence_bus) {
            (Some(p), Some(bus)) => {
                match bus
                    .request(
                        &p.device,
                        Op::ReadDiscreteInputs {
                            addr: p.discrete_input,
                            count: 1,
                        },
                        false,
                    )
                    .await
                {
                    Ok(Reply::Bits(b)) => b.first().copied().unwrap_or(false),
                    Ok(_) => false,
                    Err(e) => {
                        tracing::debug!(door = %cam.door, error = %e, "presence input unreadable");
                        false
                    }
                }
            }
            _ => true,
        };
        let wait = if !present {
            Duration::from_millis(cam.presence.as_ref().map_or(200, |p| p.poll_ms))
        } else {
            match snapshot(&http, &cam.snapshot_url, max_frame_bytes).await {
                Ok(bytes) => {
                    failures = 0;
                    match face_pass(&face, &gk, &store, &cam.door, bytes).await {
                        Ok(p) if p.record_id.is_some() => tracing::debug!(
                            door = %cam.door,
                            allowed = p.allowed,
                            total_ms = p.report.total_ms,
                            "camera frame made a pass record"
                        ),
                        Ok(_) => {}
                        Err(crate::face::keeper::FrameError::Gone) => return,
                        Err(e) => {
                            tracing::warn!(door = %cam.door, error = %e, "camera frame refused")
                        }
                    }
                    Duration::from_millis(cam.interval_ms)
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    if failures == 1 || failures.is_multiple_of(20) {
                        tracing::warn!(door = %cam.door, error = %e, failures, "camera snapshot failed");
                    }
                    Duration::from_millis(
                        (cam.interval_ms * u64::from(failures.min(20))).min(10_000),
                    )
                }
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
    }
}

async fn snapshot(http: &reqwest::Client, url: &str, max: usize) -> Result<Vec<u8>, String> {
    let resp = http.get(url).send().await.map_err(|e| e.to_string())?;
    if !resp.status().is_success() {
        return Err(format!("camera answered {}", resp.status().as_u16()));
    }
    if resp.content_length().is_some_and(|n| n > max as u64) {
        return Err(format!("snapshot larger than face.max_frame_bytes = {max}"));
    }
    let b = resp.bytes().await.map_err(|e| e.to_string())?;
    if b.len() > max {
        return Err(format!("snapshot larger than face.max_frame_bytes = {max}"));
    }
    Ok(b.to_vec())
}
