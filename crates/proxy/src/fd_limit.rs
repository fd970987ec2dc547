//! How many client connections the proxy may hold, from the process's open-file limit: each
//! proxied request also holds an upstream connection, and the admin listener, the event log,
//! the spool and the exporters need descriptors of their own. Accepting beyond this is what
//! locked every client (and `/metrics`) out with `Too many open files`.

/// Descriptors kept free for everything that is not a client connection: at least this many…
const MIN_RESERVE: usize = 48;
/// …or this share of the limit, whichever is larger.
const RESERVE_DIVISOR: usize = 8;
/// Never fewer client connections than this, however low the limit (a tiny `ulimit -n` still
/// serves a few clients rather than none).
const MIN_CONNECTIONS: usize = 8;
/// Nor more: beyond this, memory is the limit, not descriptors.
const MAX_CONNECTIONS: usize = 16_384;

/// The connection limit for a soft `RLIMIT_NOFILE` of `nofile` with `open` descriptors in use.
pub fn connection_limit(nofile: usize, open: usize) -> usize {
    let reserve = MIN_RESERVE.max(nofile / RESERVE_DIVISOR);
    // One descriptor for the client, one for its upstream connection.
    let room = nofile.saturating_sub(open).saturating_sub(reserve) / 2;
    room.clamp(MIN_CONNECTIONS, MAX_CONNECTIONS)
}

/// The soft open-file limit and descriptors open now, read from `/proc` (Linux); `None`
/// elsewhere or when `/proc` is not mounted.
pub fn current() -> Option<(usize, usize)> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let nofile = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))?
        .split_whitespace()
        .nth(3)?;
    let nofile = match nofile {
        "unlimited" => usize::MAX,
        n => n.parse().ok()?,
    };
    let open = std::fs::read_dir("/proc/self/fd").ok()?.count();
    Some((nofile, open))
}

/// [`connection_limit`] for this process (1024 assumed when it cannot be read).
pub fn for_this_process() -> usize {
    let (nofile, open) = current().unwrap_or((1024, 32));
    connection_limit(nofile, open)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_keeps_a_reserve_and_a_descriptor_per_upstream() {
        assert_eq!(connection_limit(256, 24), (256 - 24 - 48) / 2);
        assert_eq!(connection_limit(1024, 24), (1024 - 24 - 128) / 2);
        assert_eq!(connection_limit(16, 24), MIN_CONNECTIONS);
        assert_eq!(connection_limit(usize::MAX, 24), MAX_CONNECTIONS);
        let (nofile, open) = current().expect("/proc on Linux");
        assert!(nofile > 0 && open > 0);
    }
}
