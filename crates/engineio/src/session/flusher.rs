//! Deferred flushes: frames queued for an idle WebSocket go out a moment later, together.
//!
//! A sender (a handler's `emit`, a broadcast looping over its recipients, the heartbeat) frames
//! its packets into the connection's writer; when nothing was waiting there, the connection is
//! handed to its engine's [`Flusher`] instead of being written at once. The flusher is one task
//! per engine: woken by the first connection handed to it, it first yields, so every task that
//! is already ready to run (the other broadcasts of a busy moment, the rest of a handler's
//! burst) runs and queues its frames too, and then writes each connection it holds in one
//! vectored write. Four broadcasts in flight to the same recipients cost one `writev` per
//! recipient, not four.
//!
//! Why this and not the alternatives, measured with `bench/loadgen` (see `BENCHMARKS.md`,
//! "Coalesced writes"):
//! - writing at once (what we did before) costs one system call per frame, which dominates a
//!   fan-out's cost as soon as several broadcasts overlap;
//! - waking each recipient's own task (what a writer task per socket does) costs a task
//!   wake-up and poll per recipient per batch; here a batch costs one wake-up in all;
//! - corking around one handler call or one broadcast loop coalesces nothing across
//!   broadcasts, which come from different tasks.
//!
//! A lone message waits only for the tasks that were already ready when it was sent (tokio
//! runs a yielded task after those, and after polling for I/O once). A connection's own
//! task, when it runs first (the reply to the message it just read), writes the queue itself
//! and the flusher finds nothing left to do. Without a tokio runtime at hand (a send from a
//! plain thread) the sender writes at once, as before.

use std::sync::{Arc, Mutex, MutexGuard, Weak};

use tokio::sync::Notify;

use super::SessionInner;

/// One engine's deferred flushes.
pub(crate) struct Flusher {
    state: Mutex<State>,
    /// Wakes the flusher's task; shared with it so that it can wait without keeping the
    /// flusher (and its engine) alive.
    wake: Arc<Notify>,
}

#[derive(Default)]
struct State {
    /// Sessions with frames waiting for the next flush (a session may be here twice).
    due: Vec<Arc<SessionInner>>,
    /// The task was woken for what is in `due`.
    scheduled: bool,
    /// The task is alive (it ends with its runtime, or when the engine is gone).
    running: bool,
}

impl Flusher {
    pub(crate) fn new() -> Arc<Flusher> {
        Arc::new(Flusher {
            state: Mutex::new(State::default()),
            wake: Arc::new(Notify::new()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock would be a bug of ours; the list stays usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands `session` to the next flush; false when there is no tokio runtime to run it on
    /// (the caller then writes at once).
    pub(crate) fn defer(self: &Arc<Self>, session: &Arc<SessionInner>) -> bool {
        let mut st = self.lock();
        if !st.running {
            let Ok(runtime) = tokio::runtime::Handle::try_current() else {
                return false;
            };
            st.running = true;
            runtime.spawn(run(Arc::downgrade(self), self.wake.clone()));
        }
        st.due.push(session.clone());
        let wake = !st.scheduled;
        st.scheduled = true;
        drop(st);
        if wake {
            self.wake.notify_one();
        }
        true
    }
}

impl Drop for Flusher {
    fn drop(&mut self) {
        // The engine is gone: its task ends.
        self.wake.notify_one();
    }
}

/// Marks the task gone when it ends, also when its runtime drops it.
struct Running(Weak<Flusher>);

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(flusher) = self.0.upgrade() {
            let mut st = flusher.lock();
            st.running = false;
            if !st.due.is_empty() {
                // Handed over while the runtime shut down: the next sender's runtime runs
                // them.
                st.scheduled = false;
            }
        }
    }
}

/// The flusher's task.
async fn run(flusher: Weak<Flusher>, wake: Arc<Notify>) {
    let _running = Running(flusher.clone());
    let mut due = Vec::new();
    loop {
        wake.notified().await;
        // Let every task that is ready now run first: what they send joins this flush.
        tokio::task::yield_now().await;
        {
            let Some(flusher) = flusher.upgrade() else {
                return;
            };
            let mut st = flusher.lock();
            st.scheduled = false;
            std::mem::swap(&mut st.due, &mut due);
        }
        for session in due.drain(..) {
            session.flush_deferred();
        }
        if due.capacity() > 4096 {
            // A burst's list is not kept while idle.
            due = Vec::new();
        }
    }
}
