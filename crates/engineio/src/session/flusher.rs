//! Deferred flushes: frames queued for an idle WebSocket go out a moment later, together.
//!
//! A sender (a handler's `emit`, a broadcast looping over its recipients, the heartbeat) frames
//! its packets into the connection's writer; when nothing was waiting there, the connection is
//! handed to its engine's [`Flusher`] instead of being written at once. The flusher is one task
//! per engine: woken by the first connection handed to it, it first yields, so every task that
//! is already ready to run (the other broadcasts of a busy moment, the rest of a handler's
//! burst) runs and queues its frames too: two passes of the scheduler, and more while a pass
//! brought more (five at most). Then it writes each connection it holds in one vectored write.
//! Four broadcasts in flight to the same recipients cost one `writev` per recipient, not four.
//! (One pass was enough on the current-thread scheduler; on the multi-thread one, the
//! broadcasts read in the same poll for I/O as the first run a pass later, and one pass
//! coalesced half as much: fan-out 1000 with four in flight cost 1.9 µs per delivery against
//! 0.9 with two passes or more.)
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
//! runs a yielded task after those, and after polling for I/O once): two passes. A connection's own
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

/// Scheduler passes a flush always waits for: on the multi-thread scheduler the tasks woken
/// with the first sender (the other broadcasts read in the same poll for I/O) run in the
/// second.
const MIN_PASSES: usize = 2;
/// Most scheduler passes a flush waits for while more connections keep joining it.
const MAX_PASSES: usize = 5;

/// Connections waiting for the next flush (0 once the engine is gone).
fn due_len(flusher: &Weak<Flusher>) -> usize {
    flusher.upgrade().map_or(0, |f| f.lock().due.len())
}

/// The flusher's task.
async fn run(flusher: Weak<Flusher>, wake: Arc<Notify>) {
    let _running = Running(flusher.clone());
    let mut due = Vec::new();
    loop {
        wake.notified().await;
        // Let every task that is ready now run first: what they send joins this flush. While
        // a pass of the scheduler brings more (the other broadcasts of a busy moment, which
        // the multi-thread scheduler spreads over several passes), wait one pass more, a few
        // at most.
        let mut seen = 0;
        for pass in 0..MAX_PASSES {
            tokio::task::yield_now().await;
            let now = due_len(&flusher);
            if now == seen && pass >= MIN_PASSES - 1 {
                break;
            }
            seen = now;
        }
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
