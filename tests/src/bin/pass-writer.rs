//! Child process for the durability test: appends pass records to an edge store as fast as it
//! can (many callers in flight, so group commit is exercised) and prints each record id on
//! stdout only after the store acknowledged it as durable. The test SIGKILLs it at random.
#![forbid(unsafe_code)]

use std::io::Write as _;

use edge_daemon::access::{AccessRequest, Decision, DenyReason, Method};
use edge_daemon::store::records::{OutboxItemV1, PassRecordV1};
use edge_daemon::store::writer::StoreWriter;
use edge_daemon::store::Store;

fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: pass-writer STORE_DIR"))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let store = Store::open(std::path::Path::new(&path))?;
        let writer = StoreWriter::start(store);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<uuid::Uuid>();
        for caller in 0..64 {
            let writer = writer.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                let req = AccessRequest {
                    door_id: format!("door-{}", caller % 50),
                    person_id: format!("p-{caller}"),
                    method: Method::Face,
                };
                let decision = Decision::Deny {
                    reason: DenyReason::UnknownPerson,
                };
                loop {
                    let id = uuid::Uuid::now_v7();
                    let rec = PassRecordV1::from_decision(id, 0, "box", &req, &decision, None);
                    match writer.append(OutboxItemV1::Pass(rec)).await {
                        Ok(id) => {
                            if tx.send(id).is_err() {
                                return;
                            }
                        }
                        Err(e) => {
                            eprintln!("append failed: {e}");
                            return;
                        }
                    }
                }
            });
        }
        drop(tx);
        let mut out = std::io::stdout().lock();
        while let Some(id) = rx.recv().await {
            writeln!(out, "{id}")?;
            out.flush()?;
        }
        anyhow::Ok(())
    })
}
