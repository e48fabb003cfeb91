//! Proves the harness itself: the pymodbus peer over TCP and over an RTU pty
//! pair, driven both through Modbus (tokio-modbus) and its stdin protocol.

use std::time::Duration;

use tests::{ChangeKind, ModbusPeer, PtyPair};
use tokio_modbus::client::Context;
use tokio_modbus::prelude::*;

const WAIT: Duration = Duration::from_secs(5);

/// Write coil 3 and see the change; set DI 2 and read it back.
async fn exercise(peer: &mut ModbusPeer, ctx: &mut Context) {
    ctx.write_single_coil(3, true)
        .await
        .expect("transport")
        .expect("modbus exception");
    let change = peer
        .next_change(WAIT)
        .await
        .expect("no change line for coil 3");
    assert_eq!(change.kind, ChangeKind::Coil);
    assert_eq!((change.dev, change.addr, change.value), (1, 3, 1));
    assert!(change.t_us > 0);
    assert!(peer.get_coil(1, 3).await);

    // Writing the same value again is not a change.
    ctx.write_single_coil(3, true).await.unwrap().unwrap();
    assert_eq!(peer.next_change(Duration::from_millis(200)).await, None);

    peer.set_di(1, 2, true).await;
    let bits = ctx.read_discrete_inputs(0, 4).await.unwrap().unwrap();
    assert_eq!(bits, vec![false, false, true, false]);

    peer.set_ir(1, 7, 0x0104).await;
    let regs = ctx.read_input_registers(7, 1).await.unwrap().unwrap();
    assert_eq!(regs, vec![0x0104]);

    ctx.write_single_register(5, 42).await.unwrap().unwrap();
    // A change that arrives while a get is answered is buffered, not lost.
    assert_eq!(peer.get_hr(1, 5).await, 42);
    let change = peer
        .next_change(WAIT)
        .await
        .expect("no change line for hr 5");
    assert_eq!(change.kind, ChangeKind::Holding);
    assert_eq!((change.dev, change.addr, change.value), (1, 5, 42));

    // Changes made through stdin are not reported.
    peer.set_hr(1, 6, 9).await;
    assert_eq!(
        ctx.read_holding_registers(6, 1).await.unwrap().unwrap(),
        vec![9]
    );
    assert_eq!(peer.next_change(Duration::from_millis(200)).await, None);
}

#[tokio::test]
async fn tcp_peer_roundtrip() {
    let mut peer = ModbusPeer::tcp(&[1, 2]).await;
    let mut ctx = tcp::connect_slave(peer.addr(), Slave(1))
        .await
        .expect("connect to the TCP peer");
    exercise(&mut peer, &mut ctx).await;

    // Second device keeps its own tables.
    ctx.set_slave(Slave(2));
    assert_eq!(ctx.read_coils(3, 1).await.unwrap().unwrap(), vec![false]);
}

#[tokio::test]
async fn rtu_peer_roundtrip_over_pty_pair() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pair = PtyPair::new(dir.path()).await;
    let mut peer = ModbusPeer::rtu(pair.bus_a(), &[1]).await;
    let port =
        tokio_serial::SerialStream::open(&tokio_serial::new(pair.bus_b().to_string_lossy(), 9600))
            .expect("open the daemon side of the pty pair");
    let mut ctx = rtu::attach_slave(port, Slave(1));
    exercise(&mut peer, &mut ctx).await;
}

#[tokio::test]
async fn rtu_peer_survives_pty_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut pair = PtyPair::new(dir.path()).await;
    let mut peer = ModbusPeer::rtu(pair.bus_a(), &[1]).await;
    peer.set_di(1, 0, true).await;

    pair.restart().await;

    // The peer reopens the bus by itself; the master reopens the new pty.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let port = tokio_serial::SerialStream::open(&tokio_serial::new(
            pair.bus_b().to_string_lossy(),
            9600,
        ))
        .expect("open the daemon side after restart");
        let mut ctx = rtu::attach_slave(port, Slave(1));
        let read =
            tokio::time::timeout(Duration::from_millis(500), ctx.read_discrete_inputs(0, 1)).await;
        if let Ok(Ok(Ok(bits))) = read {
            assert_eq!(bits, vec![true], "datastore survives the restart");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "peer did not answer after the pty pair restarted: {read:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn killed_peer_stops_answering() {
    let mut peer = ModbusPeer::tcp(&[1]).await;
    let addr = peer.addr();
    peer.kill();
    assert_eq!(peer.next_change(Duration::from_millis(50)).await, None);
    // SIGKILL is asynchronous: the listener goes when the process is gone.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while tcp::connect_slave(addr, Slave(1)).await.is_ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "the killed peer still accepts connections"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn tcp_peer_comes_back_on_the_same_address() {
    let mut peer = ModbusPeer::tcp(&[1]).await;
    let addr = peer.addr();
    peer.kill();
    let mut peer = ModbusPeer::tcp_at(addr, &[1]).await;
    assert_eq!(peer.addr(), addr);
    let mut ctx = tcp::connect_slave(addr, Slave(1))
        .await
        .expect("connect again");
    ctx.write_single_coil(0, true).await.unwrap().unwrap();
    let change = peer.next_change(WAIT).await.expect("change after restart");
    assert_eq!(
        (change.kind, change.addr, change.value),
        (ChangeKind::Coil, 0, 1)
    );
}

#[tokio::test]
async fn unplugged_pty_pair_can_be_plugged_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut pair = PtyPair::new(dir.path()).await;
    let mut peer = ModbusPeer::rtu(pair.bus_a(), &[1]).await;
    peer.kill();
    pair.kill();
    assert!(
        !pair.bus_a().exists() && !pair.bus_b().exists(),
        "links gone when unplugged"
    );
    pair.restart().await;
    let mut peer = ModbusPeer::rtu(pair.bus_a(), &[1]).await;
    let port =
        tokio_serial::SerialStream::open(&tokio_serial::new(pair.bus_b().to_string_lossy(), 9600))
            .expect("open the daemon side after plugging back");
    let mut ctx = rtu::attach_slave(port, Slave(1));
    ctx.write_single_coil(1, true).await.unwrap().unwrap();
    let change = peer
        .next_change(WAIT)
        .await
        .expect("change after plug-back");
    assert_eq!(
        (change.kind, change.addr, change.value),
        (ChangeKind::Coil, 1, 1)
    );
}
