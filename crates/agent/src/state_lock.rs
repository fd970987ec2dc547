//! One agent per alert state file: an advisory lock (`flock`) on `alert-state.lock` beside it,
//! held for the agent's life and released by the kernel when the process ends, kill -9
//! included. Two processes sharing a spool directory (workers of one app calling `init()`,
//! say) would otherwise overwrite each other's state, and one could resolve, after its
//! restart, an alert the other still fires.

use std::fs::{File, OpenOptions};
use std::path::Path;

/// Held while alive.
pub struct StateLock {
    _file: File,
}

pub enum LockError {
    /// Another process holds it.
    Held,
    Io(std::io::Error),
}

/// Takes the lock at `path` without waiting.
pub fn try_lock(path: &Path) -> Result<StateLock, LockError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(LockError::Io)?;
    }
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(LockError::Io)?;
    lock(&file)?;
    Ok(StateLock { _file: file })
}

#[cfg(unix)]
fn lock(file: &File) -> Result<(), LockError> {
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a descriptor this File owns and keeps open; no memory is shared.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(());
    }
    let e = std::io::Error::last_os_error();
    if e.kind() == std::io::ErrorKind::WouldBlock {
        Err(LockError::Held)
    } else {
        Err(LockError::Io(e))
    }
}

#[cfg(not(unix))]
fn lock(_file: &File) -> Result<(), LockError> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alert-state.lock");
        let first = try_lock(&path).ok().expect("first lock");
        assert!(matches!(try_lock(&path), Err(LockError::Held)));
        drop(first);
        assert!(try_lock(&path).is_ok());
    }
}
