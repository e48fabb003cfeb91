//! Durability: a child process appends decisions at full speed and is SIGKILLed at random
//! points, 100 times over one store. Every id it reported (it reports only after the store's
//! acknowledgement) must be there after each restart, and the store must always reopen.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rand::Rng as _;

#[test]
fn sigkill_at_random_points_loses_nothing_acknowledged() {
    let tmp = tempfile::tempdir().unwrap();
    let store_dir = tmp.path().join("store");
    let mut rng = rand::thread_rng();
    let mut all_acked: Vec<uuid::Uuid> = Vec::new();
    const ROUNDS: usize = 100;
    for round in 0..ROUNDS {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pass-writer"))
            .arg(&store_dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start pass-writer");
        let stdout = child.stdout.take().unwrap();
        // Read acknowledged ids on a thread; kill after a random delay.
        let (first_tx, first_rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut ids = Vec::new();
            for line in BufReader::new(stdout).lines() {
                match line {
                    Ok(l) => match l.trim().parse::<uuid::Uuid>() {
                        Ok(id) => {
                            ids.push(id);
                            if ids.len() == 1 {
                                let _ = first_tx.send(());
                            }
                        }
                        Err(_) => break, // a line cut by the kill
                    },
                    Err(_) => break,
                }
            }
            ids
        });
        // The kill lands while records are being written: after the first acknowledgement (a
        // loaded machine can take seconds to start the writer), then a random delay.
        let started = Instant::now();
        if first_rx.recv_timeout(Duration::from_secs(60)).is_err() {
            let _ = child.kill();
            panic!("round {round}: the writer acknowledged nothing within 60 s");
        }
        let delay = Duration::from_millis(rng.gen_range(20..250));
        std::thread::sleep(delay);
        child.kill().expect("SIGKILL"); // std's kill() sends SIGKILL on Unix
        let _ = child.wait();
        let acked = reader.join().unwrap();
        assert!(started.elapsed() < Duration::from_secs(90));
        // Reopen (as the daemon would on restart) and check every acknowledged id so far.
        let store = edge_daemon::store::Store::open(&store_dir)
            .unwrap_or_else(|e| panic!("round {round}: store does not reopen after SIGKILL: {e}"));
        let stored = store.record_ids().unwrap();
        all_acked.extend(acked);
        let missing: Vec<_> = all_acked.iter().filter(|id| !stored.contains(id)).collect();
        assert!(
            missing.is_empty(),
            "round {round}: {} acknowledged records lost, e.g. {:?}",
            missing.len(),
            missing.first()
        );
        drop(store);
    }
    eprintln!(
        "durability: {} acknowledged records survived {ROUNDS} SIGKILLs",
        all_acked.len()
    );
}
