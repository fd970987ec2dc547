//! The agent's one clock. Live mode is the system clock; the demo runs a compressed clock
//! (`--speed`) so an hour of incidents plays in a minute while the rules engine still sees
//! event times an operator would recognise.

use std::time::{Duration, Instant};

use time::OffsetDateTime;

#[derive(Clone, Copy, Debug)]
pub struct Clock {
    origin_real: Instant,
    origin_event: OffsetDateTime,
    speed: f64,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock::compressed(OffsetDateTime::now_utc(), 1.0)
    }

    /// A clock that starts at `origin` and runs `speed` times faster than real time.
    pub fn compressed(origin: OffsetDateTime, speed: f64) -> Clock {
        Clock {
            origin_real: Instant::now(),
            origin_event: origin,
            speed: if speed.is_finite() && speed > 0.0 {
                speed
            } else {
                1.0
            },
        }
    }

    pub fn now(&self) -> OffsetDateTime {
        self.origin_event + self.elapsed()
    }

    /// Event time elapsed since the origin.
    pub fn elapsed(&self) -> Duration {
        self.origin_real.elapsed().mul_f64(self.speed)
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Real time that corresponds to `event` duration of event time.
    pub fn real(&self, event: Duration) -> Duration {
        event.div_f64(self.speed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compressed_clock_runs_faster_and_converts_back() {
        let clock = Clock::compressed(OffsetDateTime::UNIX_EPOCH, 60.0);
        assert_eq!(clock.real(Duration::from_secs(60)), Duration::from_secs(1));
        std::thread::sleep(Duration::from_millis(20));
        assert!(clock.elapsed() >= Duration::from_millis(1200));
        assert!(clock.now() > OffsetDateTime::UNIX_EPOCH);
        assert_eq!(
            Clock::compressed(OffsetDateTime::UNIX_EPOCH, -1.0).speed(),
            1.0
        );
    }
}
