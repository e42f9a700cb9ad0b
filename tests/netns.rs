//! Real interfaces and real traffic: netmon runs inside a fresh network
//! namespace on its own `lo` while the test sends TCP traffic over it, and the
//! stored counters and deltas must match the kernel's sysfs counters exactly.
//! Needs root (CI is root, and fails these tests if they cannot run).

mod common;

use common::netns::Namespace;
use common::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

/// Sends `bytes` over a TCP connection on 127.0.0.1 and waits until all arrived.
fn tcp_transfer(bytes: usize) -> usize {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let sender = std::thread::spawn(move || {
        let mut stream = TcpStream::connect(address).unwrap();
        let chunk = vec![0x5a; 64 * 1024];
        let mut left = bytes;
        while left > 0 {
            let n = left.min(chunk.len());
            stream.write_all(&chunk[..n]).unwrap();
            left -= n;
        }
    });
    let (mut stream, _) = listener.accept().unwrap();
    let mut received = Vec::new();
    stream.read_to_end(&mut received).unwrap();
    sender.join().unwrap();
    received.len()
}

#[test]
fn stored_deltas_match_the_kernel_counters_of_real_traffic() {
    let Some(namespace) = Namespace::create("lo") else {
        return;
    };
    let sandbox = Sandbox::with_config("logging:\n  file: ''\n");
    let child = namespace
        .netmon(
            &sandbox,
            &["--interval", "0.2", "--count", "12", "--interfaces", "lo"],
        )
        .spawn()
        .unwrap();
    wait_for_rows_of(&sandbox, "lo");
    let rx_before = namespace.statistic("lo", "rx_bytes");
    let tx_before = namespace.statistic("lo", "tx_bytes");
    let payload = 3 * 1024 * 1024;
    assert_eq!(namespace.run_inside(move || tcp_transfer(payload)), payload);
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let rx_after = namespace.statistic("lo", "rx_bytes");
    let tx_after = namespace.statistic("lo", "tx_bytes");
    let packets_after = namespace.statistic("lo", "rx_packets");

    let db = sandbox.db();
    /// bytes_recv, bytes_sent, packets_recv, bytes_recv_delta, bytes_sent_delta
    type LoRow = (i64, i64, i64, Option<i64>, Option<i64>);
    let rows: Vec<LoRow> = db
        .prepare(
            "SELECT bytes_recv, bytes_sent, packets_recv, bytes_recv_delta, bytes_sent_delta
             FROM network_stats WHERE interface = 'lo' ORDER BY timestamp",
        )
        .unwrap()
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 12);
    let (first, last) = (&rows[0], &rows[rows.len() - 1]);
    // Nothing moved between the first sample and the sysfs read after it.
    assert_eq!((first.0, first.1), (rx_before, tx_before));
    // The last sample came after the transfer: it equals the final sysfs counters.
    assert_eq!(
        (last.0, last.1, last.2),
        (rx_after, tx_after, packets_after)
    );
    let recv: i64 = rows[1..].iter().map(|r| r.3.unwrap()).sum();
    let sent: i64 = rows[1..].iter().map(|r| r.4.unwrap()).sum();
    assert_eq!(
        recv,
        rx_after - rx_before,
        "sum of rx deltas = kernel rx change"
    );
    assert_eq!(
        sent,
        tx_after - tx_before,
        "sum of tx deltas = kernel tx change"
    );
    assert!(
        recv >= payload as i64,
        "payload plus TCP/IP headers: {recv}"
    );
    let total_recv: i64 = scalar(
        &db,
        "SELECT SUM(bytes_recv_delta) FROM network_stats WHERE interface = '_total'",
    );
    assert_eq!(total_recv, recv, "_total of one interface equals it");
}

#[test]
fn interfaces_that_come_and_go_have_rows_exactly_while_they_exist() {
    let Some(namespace) = Namespace::create("churn") else {
        return;
    };
    let sandbox = Sandbox::with_config("logging:\n  file: ''\n");
    // A pair that stays, so that every cycle has something to store.
    namespace.ip(&[
        "link", "add", "vkeep0", "type", "veth", "peer", "name", "vkeep1",
    ]);
    let child = namespace
        .netmon(&sandbox, &["--interval", "0.2", "--count", "20"])
        .spawn()
        .unwrap();
    wait_for_rows_of(&sandbox, "_total");
    std::thread::sleep(Duration::from_millis(400));
    namespace.ip(&[
        "link", "add", "vtest0", "type", "veth", "peer", "name", "vtest1",
    ]);
    let added = chrono::Utc::now();
    std::thread::sleep(Duration::from_millis(1200));
    let deleting = chrono::Utc::now();
    namespace.ip(&["link", "del", "vtest0"]);
    let output = child.wait_with_output().unwrap();
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    assert!(!err.contains("ERROR") && !err.contains("WARN"), "{err}");

    let db = sandbox.db();
    let margin = chrono::Duration::milliseconds(150);
    for stamp in timestamps(&db) {
        let at = chrono::DateTime::parse_from_rfc3339(&stamp).unwrap();
        let names = interfaces_at(&db, &stamp);
        let has_veth = names.iter().any(|n| n == "vtest0") && names.iter().any(|n| n == "vtest1");
        if at > added + margin && at < deleting - margin {
            assert!(
                has_veth,
                "{stamp}: vtest0/vtest1 existed but have no rows: {names:?}"
            );
        }
        if at < added - margin || at > deleting + chrono::Duration::milliseconds(300) {
            assert!(
                !names.iter().any(|n| n.starts_with("vtest")),
                "{stamp}: row for a missing interface"
            );
        }
    }
    let veth_rows: i64 = scalar(
        &db,
        "SELECT COUNT(*) FROM network_stats WHERE interface = 'vtest0'",
    );
    assert!(veth_rows >= 4, "{veth_rows}");
    let negative: i64 = scalar(
        &db,
        "SELECT COUNT(*) FROM network_stats WHERE bytes_recv_delta < 0 OR bytes_sent_delta < 0",
    );
    assert_eq!(negative, 0);
}
