//! The adapter's two Redis connections and the tasks that own them.
//!
//! - The **publisher** task owns one multiplexed connection. It takes messages from a bounded
//!   queue and PUBLISHes them in order, batched into pipelines. When a call is about to wait
//!   on other nodes, when a namespace subscribes, and every
//!   [`RedisAdapterConfig::server_count_interval`](super::RedisAdapterConfig), it asks for
//!   each namespace's `PUBSUB NUMSUB` of its request channel (one command for all). While there is no connection,
//!   it tries to reconnect at most once per back-off step and drops what it cannot publish.
//! - The **subscriber** task owns one pub/sub connection for every namespace. When the
//!   connection ends (Redis restarted, network cut, no answer to its PING), it reconnects
//!   with back-off and subscribes everything again.

use std::collections::HashMap;
use std::sync::Weak;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use redis::aio::{MultiplexedConnection, PubSubSink};
use redis::{AsyncConnectionConfig, Client, Value as RedisValue};
use tokio::sync::mpsc;
use tokio::time::{sleep, timeout, MissedTickBehavior};
use tracing::{debug, info, warn};

use super::Shared;

/// A connection attempt, or a command, that takes longer has failed.
const IO_TIMEOUT: Duration = Duration::from_secs(2);
/// The first and the longest wait between connection attempts.
const BACKOFF_MIN: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(2);
/// How often the subscriber checks its connection with a PING.
const PING_EVERY: Duration = Duration::from_secs(5);
/// The most messages in one pipeline.
const BATCH: usize = 256;

/// A message to PUBLISH.
#[derive(Debug)]
pub(super) struct Outgoing {
    pub(super) channel: String,
    pub(super) payload: Vec<u8>,
}

/// One namespace's subscriptions, sent to the subscriber task.
#[derive(Debug, Clone)]
pub(super) struct Subscription {
    /// The namespace.
    pub(super) nsp: String,
    /// SUBSCRIBEd: request, response and specific response channels.
    pub(super) channels: Vec<String>,
    /// PSUBSCRIBEd: the broadcast pattern.
    pub(super) pattern: String,
}

fn next_backoff(current: Duration) -> Duration {
    (current * 2).min(BACKOFF_MAX)
}

/// The publisher task: ends when every sender of `queue` is gone.
pub(super) async fn publisher(
    client: Client,
    mut queue: mpsc::Receiver<Outgoing>,
    shared: Weak<Shared>,
    count_every: Duration,
) {
    let mut link = Link::new(client);
    let mut ticker = tokio::time::interval(count_every);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let refresh = match shared.upgrade() {
        Some(s) => s.refresh.clone(),
        None => return,
    };
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        tokio::select! {
            n = queue.recv_many(&mut batch, BATCH) => {
                if n == 0 {
                    return;
                }
                link.publish(&batch).await;
                batch.clear();
            }
            _ = ticker.tick() => link.refresh_counts(&shared).await,
            () = refresh.notified() => link.refresh_counts(&shared).await,
        }
    }
}

/// The publisher's connection, re-established on demand.
struct Link {
    client: Client,
    conn: Option<MultiplexedConnection>,
    /// When a connection may be tried again, after a failed attempt.
    retry_at: Option<Instant>,
    backoff: Duration,
    /// Messages dropped since the last report.
    dropped: u64,
}

impl Link {
    fn new(client: Client) -> Self {
        Self {
            client,
            conn: None,
            retry_at: None,
            backoff: BACKOFF_MIN,
            dropped: 0,
        }
    }

    /// The connection, connecting first when there is none and the back-off allows.
    async fn conn(&mut self) -> Option<MultiplexedConnection> {
        if let Some(conn) = &self.conn {
            return Some(conn.clone());
        }
        if self.retry_at.is_some_and(|at| Instant::now() < at) {
            return None;
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(IO_TIMEOUT))
            .set_response_timeout(Some(IO_TIMEOUT));
        match self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await
        {
            Ok(conn) => {
                info!("redis adapter: publisher connected");
                self.conn = Some(conn.clone());
                self.retry_at = None;
                self.backoff = BACKOFF_MIN;
                Some(conn)
            }
            Err(e) => {
                debug!(error = %e, "redis adapter: publisher cannot connect");
                self.retry_at = Some(Instant::now() + self.backoff);
                self.backoff = next_backoff(self.backoff);
                None
            }
        }
    }

    fn lost(&mut self, e: &redis::RedisError) {
        warn!(error = %e, "redis adapter: publisher connection lost");
        self.conn = None;
        self.retry_at = None;
    }

    /// PUBLISHes `batch` in order, in one pipeline; drops it when Redis cannot be reached.
    async fn publish(&mut self, batch: &[Outgoing]) {
        let Some(mut conn) = self.conn().await else {
            self.drop_messages(batch.len());
            return;
        };
        let mut pipe = redis::pipe();
        for m in batch {
            pipe.cmd("PUBLISH")
                .arg(&m.channel)
                .arg(&m.payload[..])
                .ignore();
        }
        match pipe.query_async::<()>(&mut conn).await {
            Ok(()) => {
                if self.dropped > 0 {
                    warn!(
                        dropped = self.dropped,
                        "redis adapter: messages dropped while Redis was unreachable"
                    );
                    self.dropped = 0;
                }
            }
            Err(e) => {
                self.lost(&e);
                self.drop_messages(batch.len());
            }
        }
    }

    fn drop_messages(&mut self, n: usize) {
        if self.dropped == 0 {
            warn!("redis adapter: Redis unreachable, dropping published messages");
        }
        self.dropped += n as u64;
    }

    /// Asks Redis how many nodes subscribe to each namespace's request channel, then tells
    /// the calls waiting for a count (answered or not: they go on with what is known).
    async fn refresh_counts(&mut self, shared: &Weak<Shared>) {
        let Some(shared) = shared.upgrade() else {
            return;
        };
        self.ask_counts(&shared).await;
        shared.counted.send_modify(|n| *n = n.wrapping_add(1));
    }

    async fn ask_counts(&mut self, shared: &Shared) {
        let adapters = shared.adapters();
        if adapters.is_empty() {
            return;
        }
        let Some(mut conn) = self.conn().await else {
            return;
        };
        let mut cmd = redis::cmd("PUBSUB");
        cmd.arg("NUMSUB");
        for a in &adapters {
            cmd.arg(a.request_channel());
        }
        match cmd.query_async::<RedisValue>(&mut conn).await {
            Ok(RedisValue::Array(items)) => {
                let mut counts = HashMap::new();
                for pair in items.chunks(2) {
                    if let [RedisValue::BulkString(name), RedisValue::Int(n)] = pair {
                        counts.insert(name.clone(), usize::try_from(*n).unwrap_or(0));
                    }
                }
                for a in &adapters {
                    if let Some(n) = counts.get(a.request_channel().as_bytes()) {
                        a.set_server_count(*n);
                    }
                }
            }
            Ok(other) => debug!(?other, "redis adapter: unexpected PUBSUB NUMSUB reply"),
            Err(e) => self.lost(&e),
        }
    }
}

/// The subscriber task: ends when every sender of `control` is gone.
pub(super) async fn subscriber(
    client: Client,
    mut control: mpsc::UnboundedReceiver<Subscription>,
    shared: Weak<Shared>,
) {
    let mut subs = Subscriptions::default();
    let mut backoff = BACKOFF_MIN;
    loop {
        let connected = timeout(IO_TIMEOUT, client.get_async_pubsub()).await;
        let pubsub = match connected {
            Ok(Ok(p)) => p,
            failed => {
                if let Ok(Err(e)) = failed {
                    debug!(error = %e, "redis adapter: subscriber cannot connect");
                }
                if !wait_taking(&mut control, &mut subs, backoff).await {
                    return;
                }
                backoff = next_backoff(backoff);
                continue;
            }
        };
        let (mut sink, mut stream) = pubsub.split();
        let mut ok = true;
        for s in &subs.list {
            if subscribe(&mut sink, s).await.is_err() {
                ok = false;
                break;
            }
        }
        if !ok {
            if !wait_taking(&mut control, &mut subs, backoff).await {
                return;
            }
            backoff = next_backoff(backoff);
            continue;
        }
        info!(
            namespaces = subs.list.len(),
            "redis adapter: subscriber connected"
        );
        if !subs.list.is_empty() {
            if let Some(shared) = shared.upgrade() {
                shared.refresh.notify_one();
            }
        }
        backoff = BACKOFF_MIN;
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        ping.tick().await;
        loop {
            tokio::select! {
                s = control.recv() => {
                    let Some(s) = s else { return };
                    subs.record(s.clone());
                    if subscribe(&mut sink, &s).await.is_err() {
                        break;
                    }
                    if let Some(shared) = shared.upgrade() {
                        shared.refresh.notify_one();
                    }
                }
                msg = stream.next() => {
                    let Some(msg) = msg else { break };
                    dispatch(&shared, &subs.routes, &msg);
                }
                _ = ping.tick() => {
                    match timeout(IO_TIMEOUT, sink.ping::<RedisValue>()).await {
                        Ok(Ok(_)) => {}
                        _ => break,
                    }
                }
            }
        }
        warn!("redis adapter: subscriber connection lost, reconnecting");
    }
}

/// Waits `wait`, recording the subscriptions asked for meanwhile; false once every sender is
/// gone (the adapter is dropped).
async fn wait_taking(
    control: &mut mpsc::UnboundedReceiver<Subscription>,
    subs: &mut Subscriptions,
    wait: Duration,
) -> bool {
    let wait = sleep(wait);
    tokio::pin!(wait);
    loop {
        tokio::select! {
            () = &mut wait => return true,
            s = control.recv() => match s {
                Some(s) => subs.record(s),
                None => return false,
            },
        }
    }
}

/// Every namespace's subscriptions, to restore after a reconnection.
#[derive(Default)]
struct Subscriptions {
    list: Vec<Subscription>,
    /// Channel or pattern → namespace.
    routes: HashMap<String, String>,
}

impl Subscriptions {
    /// Records `s`, replacing an earlier one of its namespace (a new adapter for it).
    fn record(&mut self, s: Subscription) {
        if let Some(i) = self.list.iter().position(|old| old.nsp == s.nsp) {
            let old = self.list.swap_remove(i);
            for key in old.channels.iter().chain([&old.pattern]) {
                self.routes.remove(key);
            }
        }
        for key in s.channels.iter().chain([&s.pattern]) {
            self.routes.insert(key.clone(), s.nsp.clone());
        }
        self.list.push(s);
    }
}

async fn subscribe(sink: &mut PubSubSink, s: &Subscription) -> Result<(), ()> {
    let done = async {
        sink.psubscribe(&s.pattern).await?;
        for c in &s.channels {
            sink.subscribe(c).await?;
        }
        Ok::<(), redis::RedisError>(())
    };
    match timeout(IO_TIMEOUT, done).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => {
            warn!(error = %e, nsp = %s.nsp, "redis adapter: subscribe failed");
            Err(())
        }
        Err(_) => {
            warn!(nsp = %s.nsp, "redis adapter: subscribe timed out");
            Err(())
        }
    }
}

fn dispatch(shared: &Weak<Shared>, routes: &HashMap<String, String>, msg: &redis::Msg) {
    let channel = msg.get_channel_name();
    let key = if msg.from_pattern() {
        msg.get_pattern::<String>().ok()
    } else {
        Some(channel.to_owned())
    };
    let Some(nsp) = key.and_then(|key| routes.get(&key)) else {
        debug!(channel, "redis adapter: message on an unknown channel");
        return;
    };
    let Some(adapter) = shared.upgrade().and_then(|s| s.adapter(nsp)) else {
        return;
    };
    adapter.on_message(channel, msg.get_payload_bytes());
}
