//! The per-session heartbeat and upgrade state machine.
//!
//! No timers and no I/O: the caller passes the time in, asks [`Session::poll_timeout`] when to wake
//! up, calls [`Session::handle_timeout`] then, and feeds every packet from the client to
//! [`Session::handle_packet`]; the returned [`Action`]s and [`Reply`]s say what to send or close.
//!
//! The rules are Node's `engine.io` 6 (`socket.ts`):
//! - Protocol 4: the server pings every `pingInterval`. The `pingTimeout` timer starts when the
//!   ping is queued ([`Action::SendPing`]), not when a poll delivers it. A pong re-arms the interval,
//!   so the next ping goes out `pingInterval` after the pong. engine.io 6.6.11 and later also
//!   restart the timeout once when another packet arrives while a pong is awaited; we don't: only a
//!   pong counts.
//! - Protocol 3: the client pings and the server answers with a pong. The session dies
//!   `pingInterval + pingTimeout` after the last client ping (or the open); only pings refresh it.
//! - A heartbeat from the wrong side (a protocol 4 client's ping, a protocol 3 client's pong) closes
//!   the session with `transport error`.
//! - Upgrade: on the WebSocket being probed, `2probe` is answered `3probe` and `5` completes the
//!   upgrade; any other packet there aborts it and the session stays on polling, as does
//!   `upgradeTimeout` passing from the moment the WebSocket was attached.

use std::fmt;
use std::time::{Duration, Instant};

use crate::packet::{Packet, ProtocolVersion, Str};

/// The session's timers. The defaults are Node's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// `pingInterval`: how often the server pings (protocol 4), or how often the client is told
    /// to ping (protocol 3). Default 25 s.
    pub ping_interval: Duration,
    /// `pingTimeout`: how long to wait for the pong (protocol 4), or the grace added to
    /// `ping_interval` before a silent protocol 3 client is dropped. Default 20 s.
    pub ping_timeout: Duration,
    /// `upgradeTimeout`: how long a WebSocket may take to complete an upgrade once attached.
    /// Default 10 s.
    pub upgrade_timeout: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            ping_interval: Duration::from_millis(25_000),
            ping_timeout: Duration::from_millis(20_000),
            upgrade_timeout: Duration::from_millis(10_000),
        }
    }
}

/// Why a session closed, with the strings Node's `engine.io` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CloseReason {
    /// `transport close`: the client closed (a close packet, or the connection went away).
    TransportClose,
    /// `transport error`: a protocol violation or a transport failure.
    TransportError,
    /// `ping timeout`: the heartbeat stopped.
    PingTimeout,
    /// `parse error`: the client sent something that does not decode.
    ParseError,
    /// `forced close`: the server closed the session.
    ForcedClose,
}

impl CloseReason {
    /// The reason as Node's `engine.io` names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TransportClose => "transport close",
            Self::TransportError => "transport error",
            Self::PingTimeout => "ping timeout",
            Self::ParseError => "parse error",
            Self::ForcedClose => "forced close",
        }
    }
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What to do when a timer fires, from [`Session::handle_timeout`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Protocol 4: queue a ping (`2`) on the current transport. The `pingTimeout` timer has started.
    SendPing,
    /// Close the session (the heartbeat stopped: [`CloseReason::PingTimeout`]).
    Close(CloseReason),
    /// The upgrade did not complete in time: close the probe WebSocket, stay on polling.
    UpgradeTimedOut,
}

/// What to do about a packet from the client, from [`Session::handle_packet`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// Nothing (a pong, a noop, or a packet the server ignores).
    None,
    /// A message or binary message for the application.
    Deliver,
    /// Protocol 3: answer the client's ping with a pong carrying the same data, on the current
    /// transport.
    SendPong(Str),
    /// `2probe` on the probe transport: answer `3probe` on it. The caller should also answer a
    /// pending poll with a noop (`6`) so the client can pause polling and send `5`.
    SendProbePong,
    /// `5` on the probe transport: the WebSocket is now the transport; flush the buffered packets
    /// over it and discard the polling transport.
    UpgradeComplete,
    /// Another packet on the probe transport: close the probe WebSocket, stay on polling. The
    /// packet is dropped, as Node does.
    UpgradeAborted,
    /// The client sent a close packet (`1`): close the session with this reason
    /// ([`CloseReason::TransportClose`]).
    Close(CloseReason),
}

#[derive(Clone, Copy, Debug)]
enum Heartbeat {
    /// Protocol 4: the next ping is due then.
    PingAt(Option<Instant>),
    /// Protocol 4: a ping is out; the pong is due by then.
    PongBy(Option<Instant>),
    /// Protocol 3: the client must ping by then.
    ClientPingBy(Option<Instant>),
}

impl Heartbeat {
    fn deadline(self) -> Option<Instant> {
        match self {
            Self::PingAt(t) | Self::PongBy(t) | Self::ClientPingBy(t) => t,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Upgrade {
    None,
    Probing(Option<Instant>),
    Done,
}

/// The heartbeat and upgrade state of one session. See the [module docs](self) for the rules.
///
/// Deadlines too far in the future to represent (a `Duration::MAX` timer) never fire.
#[derive(Clone, Debug)]
pub struct Session {
    version: ProtocolVersion,
    timing: Timing,
    heartbeat: Heartbeat,
    upgrade: Upgrade,
    closed: bool,
}

fn after(now: Instant, d: Duration) -> Option<Instant> {
    now.checked_add(d)
}

fn due(deadline: Option<Instant>, now: Instant) -> bool {
    deadline.is_some_and(|t| now >= t)
}

impl Session {
    /// A session opened at `now` (when the open packet was queued).
    pub fn new(version: ProtocolVersion, timing: Timing, now: Instant) -> Self {
        let mut session = Self {
            version,
            timing,
            heartbeat: Heartbeat::PingAt(None),
            upgrade: Upgrade::None,
            closed: false,
        };
        session.heartbeat = session.rearm(now);
        session
    }

    /// The heartbeat state after an open, a protocol 4 pong or a protocol 3 ping at `now`.
    fn rearm(&self, now: Instant) -> Heartbeat {
        match self.version {
            ProtocolVersion::V4 => Heartbeat::PingAt(after(now, self.timing.ping_interval)),
            ProtocolVersion::V3 => Heartbeat::ClientPingBy(after(
                now,
                self.timing
                    .ping_interval
                    .saturating_add(self.timing.ping_timeout),
            )),
        }
    }

    /// The protocol version of the session.
    pub fn version(&self) -> ProtocolVersion {
        self.version
    }

    /// The session's timers.
    pub fn timing(&self) -> Timing {
        self.timing
    }

    /// The earliest pending deadline: call [`Session::handle_timeout`] then. `None` once closed.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.closed {
            return None;
        }
        let upgrade = match self.upgrade {
            Upgrade::Probing(t) => t,
            Upgrade::None | Upgrade::Done => None,
        };
        match (self.heartbeat.deadline(), upgrade) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Fires the timers due at `now`, one per call: call it until it returns `None`.
    pub fn handle_timeout(&mut self, now: Instant) -> Option<Action> {
        if self.closed {
            return None;
        }
        match self.heartbeat {
            Heartbeat::PingAt(t) if due(t, now) => {
                self.heartbeat = Heartbeat::PongBy(after(now, self.timing.ping_timeout));
                return Some(Action::SendPing);
            }
            Heartbeat::PongBy(t) | Heartbeat::ClientPingBy(t) if due(t, now) => {
                self.closed = true;
                return Some(Action::Close(CloseReason::PingTimeout));
            }
            _ => {}
        }
        match self.upgrade {
            Upgrade::Probing(t) if due(t, now) => {
                self.upgrade = Upgrade::None;
                Some(Action::UpgradeTimedOut)
            }
            _ => None,
        }
    }

    /// Handles a packet from the client that arrived at `now`.
    ///
    /// `on_probe_transport` is whether it came on the WebSocket being probed for an upgrade (see
    /// [`Session::upgrade_started`]) rather than on the session's transport; such packets while no
    /// upgrade is in progress get [`Reply::UpgradeAborted`]. `Err` means the client
    /// broke the protocol and the session is now closed with that reason. Packets after the close
    /// are ignored (`Ok(Reply::None)`).
    pub fn handle_packet(
        &mut self,
        packet: &Packet,
        on_probe_transport: bool,
        now: Instant,
    ) -> Result<Reply, CloseReason> {
        if self.closed {
            return Ok(Reply::None);
        }
        if on_probe_transport {
            return Ok(self.handle_probe_packet(packet));
        }
        match (packet, self.version) {
            (Packet::Ping(data), ProtocolVersion::V3) => {
                self.heartbeat = self.rearm(now);
                Ok(Reply::SendPong(data.clone()))
            }
            (Packet::Pong(_), ProtocolVersion::V4) => {
                self.heartbeat = self.rearm(now);
                Ok(Reply::None)
            }
            (Packet::Ping(_), ProtocolVersion::V4) | (Packet::Pong(_), ProtocolVersion::V3) => {
                self.closed = true;
                Err(CloseReason::TransportError)
            }
            (Packet::Message(_) | Packet::Binary(_) | Packet::MessageFramed(_), _) => {
                Ok(Reply::Deliver)
            }
            (Packet::Close, _) => {
                self.closed = true;
                Ok(Reply::Close(CloseReason::TransportClose))
            }
            (Packet::Open(_) | Packet::Upgrade | Packet::Noop, _) => Ok(Reply::None),
        }
    }

    fn handle_probe_packet(&mut self, packet: &Packet) -> Reply {
        if !self.is_upgrading() {
            // No upgrade in progress (never started, timed out, aborted or done): whatever this
            // socket says, it must go.
            return Reply::UpgradeAborted;
        }
        match packet {
            Packet::Ping(data) if *data == "probe" => Reply::SendProbePong,
            // Node completes the upgrade on `5` even without a probe first.
            Packet::Upgrade => {
                self.upgrade = Upgrade::Done;
                Reply::UpgradeComplete
            }
            _ => {
                self.upgrade = Upgrade::None;
                Reply::UpgradeAborted
            }
        }
    }

    /// A WebSocket was attached to this session to be probed for an upgrade at `now`: the
    /// `upgradeTimeout` runs from now. Ignored once the session is upgraded or closed.
    pub fn upgrade_started(&mut self, now: Instant) {
        if self.closed || self.upgrade == Upgrade::Done {
            return;
        }
        self.upgrade = Upgrade::Probing(after(now, self.timing.upgrade_timeout));
    }

    /// Whether a WebSocket is being probed for an upgrade.
    pub fn is_upgrading(&self) -> bool {
        matches!(self.upgrade, Upgrade::Probing(_))
    }

    /// Whether the session has moved to the WebSocket.
    pub fn is_upgraded(&self) -> bool {
        self.upgrade == Upgrade::Done
    }

    /// Marks the session closed by the server (or after a decode error): timers stop and later
    /// packets are ignored.
    pub fn close(&mut self) {
        self.closed = true;
    }

    /// Whether the session is closed.
    pub fn is_closed(&self) -> bool {
        self.closed
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use bytes::Bytes;

    const TIMING: Timing = Timing {
        ping_interval: Duration::from_millis(300),
        ping_timeout: Duration::from_millis(200),
        upgrade_timeout: Duration::from_millis(1000),
    };

    /// A fake clock: milliseconds after a fixed base.
    struct Clock(Instant);

    impl Clock {
        fn new() -> Self {
            Self(Instant::now())
        }
        fn at(&self, ms: u64) -> Instant {
            self.0 + Duration::from_millis(ms)
        }
    }

    fn ping(data: &'static str) -> Packet {
        Packet::Ping(Str::from(data))
    }

    fn pong(data: &'static str) -> Packet {
        Packet::Pong(Str::from(data))
    }

    fn msg() -> Packet {
        Packet::Message(Str::from("hello"))
    }

    #[test]
    fn v4_pings_every_interval_and_times_out_from_queueing() {
        let clock = Clock::new();
        let mut s = Session::new(ProtocolVersion::V4, TIMING, clock.at(0));
        assert_eq!(s.poll_timeout(), Some(clock.at(300)));
        assert_eq!(s.handle_timeout(clock.at(299)), None);
        assert_eq!(s.handle_timeout(clock.at(300)), Some(Action::SendPing));
        assert_eq!(s.handle_timeout(clock.at(300)), None);
        // No poll ever delivers the ping: the timeout still runs from the queueing.
        assert_eq!(s.poll_timeout(), Some(clock.at(500)));
        assert_eq!(s.handle_timeout(clock.at(499)), None);
        assert_eq!(
            s.handle_timeout(clock.at(500)),
            Some(Action::Close(CloseReason::PingTimeout))
        );
        assert!(s.is_closed());
        assert_eq!(s.poll_timeout(), None);
        assert_eq!(s.handle_timeout(clock.at(10_000)), None);
    }

    #[test]
    fn v4_pong_rearms_the_interval() {
        let clock = Clock::new();
        let mut s = Session::new(ProtocolVersion::V4, TIMING, clock.at(0));
        assert_eq!(s.handle_timeout(clock.at(300)), Some(Action::SendPing));
        assert_eq!(
            s.handle_packet(&pong(""), false, clock.at(350)),
            Ok(Reply::None)
        );
        // Next ping `pingInterval` after the pong, and no timeout in between.
        assert_eq!(s.poll_timeout(), Some(clock.at(650)));
        assert_eq!(s.handle_timeout(clock.at(500)), None);
        assert_eq!(s.handle_timeout(clock.at(649)), None);
        assert_eq!(s.handle_timeout(clock.at(650)), Some(Action::SendPing));
        assert_eq!(s.poll_timeout(), Some(clock.at(850)));
        assert_eq!(
            s.handle_packet(&pong(""), false, clock.at(849)),
            Ok(Reply::None)
        );
        assert_eq!(s.poll_timeout(), Some(clock.at(1149)));
        assert!(!s.is_closed());
    }

    #[test]
    fn v4_messages_do_not_count_as_pongs() {
        let clock = Clock::new();
        let mut s = Session::new(ProtocolVersion::V4, TIMING, clock.at(0));
        assert_eq!(s.handle_timeout(clock.at(300)), Some(Action::SendPing));
        assert_eq!(
            s.handle_packet(&msg(), false, clock.at(400)),
            Ok(Reply::Deliver)
        );
        assert_eq!(
            s.handle_packet(
                &Packet::Binary(Bytes::from_static(&[1])),
                false,
                clock.at(450)
            ),
            Ok(Reply::Deliver)
        );
        assert_eq!(
            s.handle_packet(&Packet::Noop, false, clock.at(460)),
            Ok(Reply::None)
        );
        assert_eq!(
            s.handle_timeout(clock.at(500)),
            Some(Action::Close(CloseReason::PingTimeout))
        );
    }

    #[test]
    fn v4_late_driver_gets_the_full_timeout() {
        let clock = Clock::new();
        let mut s = Session::new(ProtocolVersion::V4, TIMING, clock.at(0));
        assert_eq!(s.handle_timeout(clock.at(420)), Some(Action::SendPing));
        assert_eq!(s.poll_timeout(), Some(clock.at(620)));
    }

    #[test]
    fn v3_client_pings_and_server_pongs() {
        let clock = Clock::new();
        let mut s = Session::new(ProtocolVersion::V3, TIMING, clock.at(0));
        // pingInterval + pingTimeout after the open.
        assert_eq!(s.poll_timeout(), Some(clock.at(500)));
        assert_eq!(
            s.handle_packet(&ping(""), false, clock.at(400)),
            Ok(Reply::SendPong(Str::new()))
        );
        assert_eq!(s.poll_timeout(), Some(clock.at(900)));
        // The server never pings in protocol 3, and messages don't refresh the deadline.
        assert_eq!(s.handle_timeout(clock.at(700)), None);
        assert_eq!(
            s.handle_packet(&msg(), false, clock.at(800)),
            Ok(Reply::Deliver)
        );
        assert_eq!(s.handle_timeout(clock.at(899)), None);
        assert_eq!(
            s.handle_timeout(clock.at(900)),
            Some(Action::Close(CloseReason::PingTimeout))
        );
        assert!(s.is_closed());
    }

    #[test]
    fn v3_session_dies_without_any_ping() {
        let clock = Clock::new();
        let mut s = Session::new(ProtocolVersion::V3, TIMING, clock.at(0));
        assert_eq!(s.handle_timeout(clock.at(499)), None);
        assert_eq!(
            s.handle_timeout(clock.at(500)),
            Some(Action::Close(CloseReason::PingTimeout))
        );
    }

    #[test]
    fn v3_pong_echoes_ping_data() {
        let clock = Clock::new();
        let mut s = Session::new(ProtocolVersion::V3, TIMING, clock.at(0));
        assert_eq!(
            s.handle_packet(&ping("probe"), false, clock.at(1)),
            Ok(Reply::SendPong(Str::from("probe")))
        );
    }

    #[test]
    fn wrong_direction_heartbeats_are_transport_errors() {
        let clock = Clock::new();
        for (version, packet) in [
            (ProtocolVersion::V4, ping("")),
            (ProtocolVersion::V4, ping("probe")),
            (ProtocolVersion::V3, pong("")),
        ] {
            let mut s = Session::new(version, TIMING, clock.at(0));
            assert_eq!(
                s.handle_packet(&packet, false, clock.at(10)),
                Err(CloseReason::TransportError),
                "{version} {packet:?}"
            );
            assert!(s.is_closed());
            assert_eq!(s.poll_timeout(), None);
        }
    }

    #[test]
    fn client_close() {
        let clock = Clock::new();
        for version in [ProtocolVersion::V3, ProtocolVersion::V4] {
            let mut s = Session::new(version, TIMING, clock.at(0));
            assert_eq!(
                s.handle_packet(&Packet::Close, false, clock.at(10)),
                Ok(Reply::Close(CloseReason::TransportClose))
            );
            assert!(s.is_closed());
            assert_eq!(s.poll_timeout(), None);
            assert_eq!(
                s.handle_packet(&msg(), false, clock.at(11)),
                Ok(Reply::None)
            );
        }
    }

    #[test]
    fn server_close_stops_timers() {
        let clock = Clock::new();
        let mut s = Session::new(ProtocolVersion::V4, TIMING, clock.at(0));
        s.upgrade_started(clock.at(0));
        s.close();
        assert_eq!(s.poll_timeout(), None);
        assert_eq!(s.handle_timeout(clock.at(5000)), None);
        s.upgrade_started(clock.at(5000));
        assert_eq!(s.poll_timeout(), None);
    }

    #[test]
    fn upgrade_completes() {
        let clock = Clock::new();
        for version in [ProtocolVersion::V3, ProtocolVersion::V4] {
            let mut s = Session::new(version, TIMING, clock.at(0));
            s.upgrade_started(clock.at(100));
            assert!(s.is_upgrading());
            assert_eq!(
                s.handle_packet(&ping("probe"), true, clock.at(110)),
                Ok(Reply::SendProbePong)
            );
            assert!(s.is_upgrading());
            assert_eq!(
                s.handle_packet(&Packet::Upgrade, true, clock.at(120)),
                Ok(Reply::UpgradeComplete)
            );
            assert!(s.is_upgraded());
            assert!(!s.is_upgrading());
            // The upgrade deadline is gone; the heartbeat goes on over the WebSocket.
            let heartbeat = match version {
                ProtocolVersion::V3 => clock.at(500),
                ProtocolVersion::V4 => clock.at(300),
            };
            assert_eq!(s.poll_timeout(), Some(heartbeat));
            assert_ne!(
                s.handle_timeout(clock.at(1100)),
                Some(Action::UpgradeTimedOut)
            );
            // A second upgrade is not started.
            s.upgrade_started(clock.at(130));
            assert!(s.is_upgraded());
        }
    }

    #[test]
    fn upgrade_that_never_completes_times_out() {
        let clock = Clock::new();
        let mut s = Session::new(ProtocolVersion::V4, TIMING, clock.at(0));
        s.upgrade_started(clock.at(50));
        assert_eq!(s.poll_timeout(), Some(clock.at(300)));
        assert_eq!(
            s.handle_packet(&ping("probe"), true, clock.at(60)),
            Ok(Reply::SendProbePong)
        );
        // Heartbeats go on over polling meanwhile.
        let mut t = 300;
        while t < 1050 {
            assert_eq!(s.handle_timeout(clock.at(t)), Some(Action::SendPing));
            assert_eq!(
                s.handle_packet(&pong(""), false, clock.at(t + 10)),
                Ok(Reply::None)
            );
            t += 310;
        }
        assert_eq!(s.poll_timeout(), Some(clock.at(1050)));
        assert_eq!(s.handle_timeout(clock.at(1049)), None);
        assert_eq!(
            s.handle_timeout(clock.at(1050)),
            Some(Action::UpgradeTimedOut)
        );
        assert!(!s.is_upgrading());
        assert!(!s.is_upgraded());
        assert!(!s.is_closed());
        assert_eq!(s.poll_timeout(), Some(clock.at(1230)));
        // A late `5` from the dead probe does not upgrade.
        assert_eq!(
            s.handle_packet(&Packet::Upgrade, true, clock.at(1060)),
            Ok(Reply::UpgradeAborted)
        );
        assert!(!s.is_upgraded());
    }

    #[test]
    fn probe_packets_need_an_upgrade_in_progress() {
        let clock = Clock::new();
        let mut s = Session::new(ProtocolVersion::V4, TIMING, clock.at(0));
        assert_eq!(
            s.handle_packet(&ping("probe"), true, clock.at(1)),
            Ok(Reply::UpgradeAborted)
        );
        s.upgrade_started(clock.at(2));
        // `5` without a probe first completes it, as in Node.
        assert_eq!(
            s.handle_packet(&Packet::Upgrade, true, clock.at(3)),
            Ok(Reply::UpgradeComplete)
        );
        assert_eq!(
            s.handle_packet(&ping("probe"), true, clock.at(4)),
            Ok(Reply::UpgradeAborted)
        );
        assert!(s.is_upgraded());
    }

    #[test]
    fn other_packets_on_the_probe_abort_it() {
        let clock = Clock::new();
        for packet in [
            msg(),
            ping("other"),
            pong("probe"),
            Packet::Noop,
            Packet::Close,
        ] {
            let mut s = Session::new(ProtocolVersion::V4, TIMING, clock.at(0));
            s.upgrade_started(clock.at(0));
            assert_eq!(
                s.handle_packet(&ping("probe"), true, clock.at(1)),
                Ok(Reply::SendProbePong)
            );
            assert_eq!(
                s.handle_packet(&packet, true, clock.at(2)),
                Ok(Reply::UpgradeAborted),
                "{packet:?}"
            );
            assert!(!s.is_upgrading());
            assert!(!s.is_closed());
            assert_eq!(s.poll_timeout(), Some(clock.at(300)));
        }
    }

    #[test]
    fn both_timers_due_fire_one_per_call() {
        let clock = Clock::new();
        let mut s = Session::new(ProtocolVersion::V4, TIMING, clock.at(0));
        s.upgrade_started(clock.at(0));
        let mut actions = Vec::new();
        while let Some(action) = s.handle_timeout(clock.at(1000)) {
            actions.push(action);
        }
        assert_eq!(actions, [Action::SendPing, Action::UpgradeTimedOut]);
        assert_eq!(s.poll_timeout(), Some(clock.at(1200)));
    }

    #[test]
    fn huge_durations_never_fire_and_never_panic() {
        let clock = Clock::new();
        let timing = Timing {
            ping_interval: Duration::MAX,
            ping_timeout: Duration::MAX,
            upgrade_timeout: Duration::MAX,
        };
        for version in [ProtocolVersion::V3, ProtocolVersion::V4] {
            let mut s = Session::new(version, timing, clock.at(0));
            s.upgrade_started(clock.at(0));
            assert_eq!(s.poll_timeout(), None);
            assert_eq!(s.handle_timeout(clock.at(u64::from(u32::MAX))), None);
            let _ = s.handle_packet(&ping(""), false, clock.at(1));
        }
    }

    #[test]
    fn close_reason_strings() {
        assert_eq!(CloseReason::TransportClose.to_string(), "transport close");
        assert_eq!(CloseReason::TransportError.as_str(), "transport error");
        assert_eq!(CloseReason::PingTimeout.as_str(), "ping timeout");
        assert_eq!(CloseReason::ParseError.as_str(), "parse error");
        assert_eq!(CloseReason::ForcedClose.as_str(), "forced close");
        assert_eq!(
            Timing::default().ping_interval,
            Duration::from_millis(25_000)
        );
    }
}
