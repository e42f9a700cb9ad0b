//! The Prometheus endpoint (`--listen` / `metrics_listen`): while
//! monitoring, `GET /metrics` answers with node_exporter's netdev families
//! (read fresh from the counters at each scrape) and netmon's own.
//!
//! It runs hyper on a single-threaded tokio runtime in a thread of its own,
//! so a slow or hostile client never delays sampling: headers must arrive
//! within [`HEADER_TIMEOUT`], a connection lives at most
//! [`CONNECTION_LIFETIME`] and a request's head is at most
//! [`MAX_REQUEST_BYTES`]. At most [`MAX_CONNECTIONS`] are open at once, at
//! most [`MAX_PER_PEER`] from one address; a connection beyond either
//! limit is still served, and the least useful one is closed instead (see
//! [`connections`]), so that holding sockets open never locks a scraper out.

pub(crate) mod connections;

pub(crate) mod exposition;
pub(crate) mod stats;

use crate::cli::Period;
use crate::report::current::{current_totals, PeriodTotals};
use crate::report::period::BillingDays;
use crate::sample::select::Selection;
use crate::source::CounterSource;
use crate::store::history::ReadError;
use chrono::{DateTime, Utc};
use connections::Connections;
use exposition::{PeriodUsage, Scrape};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, ALLOW, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
pub use stats::SharedStats;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// A client must send its request head within this time.
pub(crate) const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// A connection (kept alive between scrapes) is closed after this long.
pub(crate) const CONNECTION_LIFETIME: Duration = Duration::from_secs(120);
/// Connections served at once.
pub(crate) const MAX_CONNECTIONS: usize = 512;
/// Connections served at once from one IP address.
pub(crate) const MAX_PER_PEER: usize = 64;
/// Largest request head accepted (hyper's minimum buffer).
pub(crate) const MAX_REQUEST_BYTES: usize = 8192;
/// How long a scrape waits for the database's rollups.
const DATABASE_WAIT: Duration = Duration::from_millis(200);

/// Binds the endpoint's socket, before anything is sampled or written, so
/// that an address in use or not permitted stops netmon at once.
pub(crate) fn bind(address: SocketAddr) -> std::io::Result<TcpListener> {
    let listener = TcpListener::bind(address)?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// What answers a scrape: its own counter source and selection (the
/// monitor's), the monitor's stats and the database to read rollups from.
pub struct Exporter {
    source: Box<dyn CounterSource + Send>,
    selection: Selection,
    stats: SharedStats,
    database: PathBuf,
    billing: BillingDays,
}

impl Exporter {
    /// An exporter reading `source` through `selection`; months of the
    /// usage families start on `billing`'s days.
    pub fn new(
        source: Box<dyn CounterSource + Send>,
        selection: Selection,
        stats: SharedStats,
        database: &Path,
    ) -> Self {
        Exporter {
            source,
            selection,
            stats,
            database: database.to_path_buf(),
            billing: BillingDays::default(),
        }
    }

    /// Cuts the usage families' months at these billing days.
    pub fn with_billing(mut self, billing: BillingDays) -> Self {
        self.billing = billing;
        self
    }

    /// One scrape's text: one read of the counters, the stats, the rollups.
    pub fn scrape(&mut self, now: DateTime<Utc>) -> String {
        let devices = match self.source.read_columns() {
            Ok(mut devices) => {
                devices.retain(|device| self.selection.selects(&device.name));
                Some(devices)
            }
            Err(e) => {
                tracing::debug!("scrape: cannot read counters: {e}");
                None
            }
        };
        let usage = current_usage(&self.database, &self.billing, now).unwrap_or_else(|e| {
            tracing::debug!("scrape: cannot read the rollups: {e}");
            Vec::new()
        });
        let stats = self.stats.lock().clone();
        exposition::render(&Scrape {
            devices: devices.as_deref(),
            stats: &stats,
            usage: &usage,
        })
    }
}

/// The current day's and (billing) month's bytes per interface, from the
/// rollups (cut in the time zone the database records) and the raw rows
/// since they were last folded: a few rows per interface.
fn current_usage(
    database: &Path,
    billing: &BillingDays,
    now: DateTime<Utc>,
) -> Result<Vec<PeriodUsage>, ReadError> {
    let opened = crate::store::read_only::open_waiting(database, DATABASE_WAIT)?;
    let history = opened.history();
    let calendar = history.calendar()?;
    // One snapshot for every period.
    let snapshot = history.snapshot()?;
    let history = snapshot.history();
    let until = now + chrono::Duration::milliseconds(1);
    let mut usage = Vec::new();
    for (period, name) in [(Period::Day, "day"), (Period::Month, "month")] {
        for PeriodTotals { totals, .. } in
            current_totals(&history, &calendar, period, billing, now, until)?
        {
            usage.extend(totals.into_iter().map(|(interface, totals)| PeriodUsage {
                period: name,
                interface,
                bytes_recv: totals.bytes_recv,
                bytes_sent: totals.bytes_sent,
            }));
        }
    }
    Ok(usage)
}

/// The running endpoint; [`MetricsServer::stop`] ends it.
pub(crate) struct MetricsServer {
    stats: SharedStats,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl MetricsServer {
    /// Serves `exporter` on the bound `listener` in a thread of its own.
    pub(crate) fn start(listener: TcpListener, exporter: Exporter) -> std::io::Result<Self> {
        let address = listener.local_addr()?;
        let stats = exporter.stats.clone();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()?;
        let (stop, stopped) = oneshot::channel();
        let exporter = Arc::new(Mutex::new(exporter));
        let thread = std::thread::Builder::new()
            .name("metrics".into())
            .spawn(move || {
                runtime.block_on(async move {
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => serve(listener, exporter, stopped).await,
                        Err(e) => tracing::error!("metrics endpoint stopped: {e}"),
                    }
                });
            })?;
        tracing::info!(address = %address, "serving Prometheus metrics at http://{address}/metrics");
        if !address.ip().is_loopback() {
            tracing::warn!(
                address = %address,
                "the metrics endpoint answers beyond this host without authentication: anyone \
                 who can reach {address} sees every interface's traffic; listen on 127.0.0.1 \
                 or firewall the port"
            );
        }
        Ok(MetricsServer {
            stats,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The stats the sampling loop keeps up to date for the endpoint.
    pub(crate) fn stats(&self) -> &SharedStats {
        &self.stats
    }

    /// Stops accepting, drops every connection and waits for the thread.
    pub(crate) fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// Accepts connections until told to stop; each is served as its own task.
async fn serve(
    listener: tokio::net::TcpListener,
    exporter: Arc<Mutex<Exporter>>,
    mut stopped: oneshot::Receiver<()>,
) {
    let open = Arc::new(Mutex::new(Connections::new(MAX_CONNECTIONS, MAX_PER_PEER)));
    let mut evicting = false;
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: back off briefly.
                    tracing::debug!("metrics: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let (close, closed) = oneshot::channel();
        let admitted = lock(&open).admit(peer.ip(), Instant::now(), close);
        if admitted.evicted.is_some() {
            if !std::mem::replace(&mut evicting, true) {
                tracing::warn!(
                    %peer,
                    "metrics: more than {MAX_CONNECTIONS} connections open (or {MAX_PER_PEER} from \
                     one address): closing the least recently used ones to serve new ones"
                );
            }
        } else {
            evicting = false;
        }
        let exporter = Arc::clone(&exporter);
        let open = Arc::clone(&open);
        tokio::spawn(async move {
            let id = admitted.id;
            let touched = Arc::clone(&open);
            let service = hyper::service::service_fn(move |request| {
                lock(&touched).used(id, Instant::now());
                let exporter = Arc::clone(&exporter);
                async move { Ok::<_, std::convert::Infallible>(respond(&request, &exporter)) }
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .max_buf_size(MAX_REQUEST_BYTES)
                .max_headers(64);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(%peer, "metrics: connection ended: {e}");
                    }
                }
                _ = closed => tracing::debug!(%peer, "metrics: connection closed for a newer one"),
                _ = tokio::time::sleep(CONNECTION_LIFETIME) => {
                    connection.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(HEADER_TIMEOUT, connection).await;
                }
            }
            lock(&open).leave(id);
        });
    }
}

/// The connection table, whoever panicked while holding it.
fn lock(open: &Mutex<Connections>) -> std::sync::MutexGuard<'_, Connections> {
    open.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The page at `/`.
const INDEX_HTML: &str = "<!DOCTYPE html>\n<html><head><title>netmon</title></head><body>\
<h1>netmon</h1><p><a href=\"/metrics\">Metrics</a></p></body></html>\n";

/// Answers one request: `/metrics` and `/` for GET and HEAD, 405 for other
/// methods there, 404 elsewhere.
fn respond(request: &Request<Incoming>, exporter: &Mutex<Exporter>) -> Response<Full<Bytes>> {
    let path = request.uri().path();
    let (content_type, body) = match path {
        "/metrics" | "/" if !matches!(*request.method(), Method::GET | Method::HEAD) => {
            let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
            return response;
        }
        "/metrics" => {
            let text = exporter
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .scrape(crate::support::wallclock::now());
            (exposition::CONTENT_TYPE, Bytes::from(text))
        }
        "/" => (
            "text/html; charset=utf-8",
            Bytes::from_static(INDEX_HTML.as_bytes()),
        ),
        _ => return plain(StatusCode::NOT_FOUND, "not found: see /metrics\n"),
    };
    let mut response = Response::new(Full::new(body));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::calendar::Calendar;
    use crate::model::counters::Counters;
    use crate::sample::{SampleOptions, Sampler};
    use crate::source::InterfaceCounters;
    use crate::store::Store;
    use chrono::{Duration, TimeZone};

    #[test]
    fn usage_rule_days_and_billing_months_from_the_daily_rollups() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("n.db");
        let mut store = Store::open_in(
            &path,
            std::time::Duration::from_secs(1),
            Some(&Calendar::utc()),
        )
        .unwrap();
        let mut sampler = Sampler::new(SampleOptions::default());
        let start = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap();
        let hours = (now - start).num_hours();
        for hour in 0..=hours {
            let snapshot = [InterfaceCounters {
                name: "eth0".into(),
                ifindex: None,
                counters: Counters {
                    bytes_recv: hour as u64 * 1000,
                    ..Counters::default()
                },
            }];
            let at = start + Duration::hours(hour);
            store
                .write_cycle(&sampler.sample(&snapshot, hour as f64 * 3600.0, at))
                .unwrap();
        }
        drop(store);
        let received = |usage: &[PeriodUsage], period: &str| {
            usage
                .iter()
                .find(|u| u.period == period && u.interface == "eth0")
                .map(|u| u.bytes_recv)
        };
        let calendar_months = current_usage(&path, &BillingDays::default(), now).unwrap();
        assert_eq!(
            received(&calendar_months, "day"),
            Some(13_000),
            "00:00 to 12:00"
        );
        assert_eq!(
            received(&calendar_months, "month"),
            Some(hours as u64 * 1000)
        );
        let billing = BillingDays {
            default: 1,
            per_interface: [("eth0".to_string(), 15)].into(),
        };
        let from_15th = current_usage(&path, &billing, now).unwrap();
        assert_eq!(received(&from_15th, "month"), Some((5 * 24 + 13) * 1000));
        let months_of_total: Vec<_> = from_15th
            .iter()
            .filter(|u| u.period == "month" && u.interface == "_total")
            .collect();
        assert_eq!(
            months_of_total.len(),
            1,
            "_total keeps the global billing day"
        );
        assert_eq!(months_of_total[0].bytes_recv, hours as u64 * 1000);
    }
}
