//! A flood of never-seen key ids (a misbehaving client, or an attacker cycling keys) fills the
//! rules engine's series limit; the next real rotation's 401 burst must still alert, and the
//! engine must say what it did. Through the real binary (`callwatch replay`).

use std::fmt::Write as _;
use std::process::Command;

use time::format_description::well_known::Rfc3339;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const FLOOD_KEYS: usize = 10_050;

fn line(out: &mut String, ts: OffsetDateTime, status: u16, key: &str) {
    let error_type = match status {
        401 => "\"authentication_error\"",
        _ => "null",
    };
    let _ = writeln!(
        out,
        r#"{{"ts":"{}","status":{status},"error_type":{error_type},"model":"claude-sonnet-4-6","key_id":"{key}"}}"#,
        ts.format(&Rfc3339).unwrap()
    );
}

#[test]
fn a_flood_of_key_ids_cannot_hide_the_next_rotation() {
    let t0 = datetime!(2026-11-20 08:00:00 UTC);
    let mut log = String::new();
    // The fleet's key, in use for two minutes.
    for s in 0..120 {
        line(&mut log, t0 + Duration::seconds(s), 200, "k-main0001");
    }
    // 10,050 one-off key ids over ten minutes, one successful call each.
    for i in 0..FLOOD_KEYS {
        let at = t0 + Duration::seconds(120) + Duration::milliseconds(i as i64 * 60);
        line(&mut log, at, 200, &format!("k-fl{i:06}"));
    }
    // A real rotation: the new key fails, a burst of 401s.
    let rotated = t0 + Duration::minutes(15);
    for s in 0..12 {
        line(
            &mut log,
            rotated + Duration::seconds(s * 5),
            401,
            "k-rotated1",
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flood.jsonl");
    std::fs::write(&path, log).unwrap();

    let out = Command::new(env!("CARGO_BIN_EXE_callwatch"))
        .arg("replay")
        .arg(&path)
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let fired = stdout.lines().any(|l| {
        l.contains("\"rule\":\"AuthFailuresAfterKeyRotation\"")
            && l.contains("\"state\":\"firing\"")
            && l.contains("\"key_id\":\"k-rotated1\"")
    });
    assert!(
        fired,
        "the rotation's 401 burst fired nothing after the flood:\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    // The engine says it made room.
    assert!(
        stderr.contains("idle series evicted to make room"),
        "{stderr}"
    );
}
