//! The MQTT link to the box's broker (rumqttc): the only code that talks MQTT. A persistent
//! session (`clean_session = false`) with QoS 1 subscriptions, so messages published while the
//! daemon or the link was down are delivered when it comes back. Acknowledgements are manual
//! and sent only after the sensor keeper has made everything a message caused durable, in
//! arrival order: a crash before that means the broker delivers the message again.

use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, Publish, QoS};
use tokio::sync::{mpsc, oneshot, watch};

use crate::config::sensors::MqttConfig;
use crate::sensors::keeper::{SensorHandle, SensorMsg};

/// Largest MQTT packet accepted (profiles refuse big payloads; this bounds memory first).
const MAX_PACKET_BYTES: usize = 256 * 1024;

/// Connect to the broker with the box's settings (address, credentials, TLS) and wait for its
/// answer (`edge-daemon doctor`). A clean, throwaway session under `<client_id>-doctor`: the
/// box's own persistent session and its queued messages are left alone.
pub async fn probe(
    setup: &crate::config::sensors::SensorSetup,
    timeout: Duration,
) -> Result<(), String> {
    let cfg = &setup.mqtt;
    let mut opts = MqttOptions::new(
        format!("{}-doctor", cfg.client_id),
        cfg.host.clone(),
        cfg.port,
    );
    opts.set_clean_session(true);
    opts.set_keep_alive(Duration::from_secs(5));
    if let Some(tls) = &setup.tls {
        opts.set_transport(rumqttc::Transport::Tls(rumqttc::TlsConfiguration::Rustls(
            tls.clone(),
        )));
    }
    if let Some(user) = &cfg.username {
        opts.set_credentials(user.clone(), setup.password.clone().unwrap_or_default());
    }
    let (client, mut events) = AsyncClient::new(opts, 8);
    let answer = tokio::time::timeout(timeout, async {
        loop {
            match events.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                    return match ack.code {
                        rumqttc::ConnectReturnCode::Success => Ok(()),
                        code => Err(format!("the broker refused the connection: {code:?}")),
                    };
                }
                Ok(_) => {}
                Err(e) => return Err(e.to_string()),
            }
        }
    })
    .await
    .unwrap_or_else(|_| Err(format!("no answer within {} ms", timeout.as_millis())));
    let _ = client.try_disconnect();
    answer
}

pub async fn run(
    cfg: MqttConfig,
    password: Option<String>,
    tls: Option<std::sync::Arc<rustls::ClientConfig>>,
    filters: Vec<String>,
    keeper: SensorHandle,
    mut stop: watch::Receiver<bool>,
) {
    let mut opts = MqttOptions::new(cfg.client_id.clone(), cfg.host.clone(), cfg.port);
    opts.set_keep_alive(Duration::from_secs(cfg.keep_alive_seconds));
    opts.set_clean_session(false);
    opts.set_manual_acks(true);
    opts.set_max_packet_size(MAX_PACKET_BYTES, MAX_PACKET_BYTES);
    if let Some(tls) = tls {
        opts.set_transport(rumqttc::Transport::Tls(rumqttc::TlsConfiguration::Rustls(
            tls,
        )));
    }
    if let Some(user) = &cfg.username {
        opts.set_credentials(user.clone(), password.clone().unwrap_or_default());
    }
    let (client, mut events) = AsyncClient::new(opts, 4096);
    // Acks go out from their own task, in arrival order, each once its message is processed.
    // They must not be sent from this loop: the client's request queue drains only while the
    // event loop is polled, so a full queue would either block the loop or lose acks (a lost
    // ack stalls the broker's in-flight window until the next reconnect; the benchmark found it).
    let (ack_tx, mut ack_rx) = mpsc::unbounded_channel::<(Publish, oneshot::Receiver<()>)>();
    let acker_client = client.clone();
    let acker = tokio::spawn(async move {
        while let Some((p, processed)) = ack_rx.recv().await {
            if processed.await.is_err() {
                break;
            }
            if let Err(e) = acker_client.ack(&p).await {
                tracing::warn!(error = %e, "could not send an MQTT ack; the broker will deliver again");
                break;
            }
        }
    });
    let mut failures: u32 = 0;
    // Whether the broker has acknowledged our subscriptions since this process started. A
    // broker may keep a session that never got them (the daemon stopped between connect and
    // subscribe) or that holds an older config's topics, so `session_present` alone is not proof.
    let mut subscribed = filters.is_empty();
    loop {
        let ev = tokio::select! {
            ev = events.poll() => ev,
            _ = stop.changed() => break,
        };
        match ev {
            Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                failures = 0;
                tracing::info!(host = %cfg.host, port = cfg.port, session_present = ack.session_present, "MQTT connected");
                // Subscribe once per process (see `subscribed`), and again whenever the broker
                // lost our session. Not on every reconnect: a re-subscription makes the broker
                // send its retained messages again.
                if !ack.session_present || !subscribed {
                    // One SUBSCRIBE for every filter, so one SUBACK answers for all of them.
                    let all = filters
                        .iter()
                        .map(|f| rumqttc::SubscribeFilter::new(f.clone(), QoS::AtLeastOnce));
                    if let Err(e) = client.try_subscribe_many(all) {
                        tracing::error!(filters = filters.len(), error = %e, "cannot subscribe");
                    }
                }
            }
            Ok(Event::Incoming(Packet::SubAck(ack))) => {
                let refused = ack
                    .return_codes
                    .iter()
                    .filter(|c| matches!(c, rumqttc::SubscribeReasonCode::Failure))
                    .count();
                if refused == 0 {
                    subscribed = true;
                } else {
                    tracing::error!(refused, "the broker refused MQTT subscriptions");
                }
            }
            Ok(Event::Incoming(Packet::Publish(p))) => {
                let (done, wait) = oneshot::channel();
                let msg = SensorMsg::Message {
                    topic: p.topic.clone(),
                    payload: p.payload.to_vec(),
                    done,
                };
                if keeper.tx.send(msg).await.is_err() {
                    break;
                }
                // Acked only once processed: a message is never acknowledged and then lost.
                if ack_tx.send((p, wait)).is_err() {
                    break;
                }
            }
            Ok(_) => {}
            Err(e) => {
                failures = failures.saturating_add(1);
                let wait = Duration::from_millis(200 * u64::from(failures.min(25)));
                if failures == 1 || failures.is_multiple_of(20) {
                    tracing::warn!(host = %cfg.host, port = cfg.port, error = %e, failures, retry_in_ms = wait.as_millis() as u64, "MQTT link down; retrying");
                }
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = stop.changed() => break,
                }
            }
        }
    }
    drop(ack_tx);
    acker.abort();
    let _ = client.try_disconnect();
}
