//! The session's heartbeat and upgrade deadlines, run when they are due.

use std::sync::Arc;
use std::time::Instant;

use engineio_protocol::{Action, Packet, Str};

use super::{SessionInner, Transport};

impl SessionInner {
    /// Runs every heartbeat or upgrade deadline that has passed. Each runs at its scheduled
    /// time, not at the (possibly late) time this is called, so a late wake-up never stretches
    /// the heartbeat; polling requests call it too, so a session past its deadline is never
    /// served.
    pub(crate) fn on_timers(self: &Arc<Self>) {
        let now = Instant::now();
        loop {
            let action = {
                let mut st = self.lock();
                match st.proto.poll_timeout() {
                    Some(due) if due <= now => st.proto.handle_timeout(due),
                    _ => None,
                }
            };
            match action {
                Some(Action::SendPing) => {
                    let _ = self.enqueue([Packet::Ping(Str::default())]);
                }
                Some(Action::Close(reason)) => {
                    self.close(reason, false);
                    return;
                }
                Some(Action::UpgradeTimedOut) => {
                    let mut st = self.lock();
                    if let Some(abort) = st.probe_abort.take() {
                        let _ = abort.send(());
                    }
                    if !matches!(st.transport, Transport::Websocket) {
                        st.upgrading = false;
                        st.probed = false;
                    }
                }
                None => return,
            }
        }
    }
}
