//! The last messages normalised, each with its normalised form. A log repeats a few error
//! messages over and over, and normalising one (redaction, then a pass over its characters)
//! cost 7k–17k instructions, on every error line, twice on a 400 (its per-message baseline and
//! its contributors each normalised it).

use crate::normalise::normalise_message;

/// Messages remembered; the oldest is replaced first.
const ENTRIES: usize = 16;
/// Longer messages are normalised every time, so the memo holds at most 16 × 1 KiB of them.
const LONGEST: usize = 1024;

#[derive(Default)]
pub(super) struct MessageMemo {
    /// (message, normalised), in no order.
    entries: Vec<(String, String)>,
    /// The entry replaced next once full.
    next: usize,
    /// A long message's normalised form (not remembered past the call).
    scratch: String,
}

impl MessageMemo {
    /// [`normalise_message`] of `message`, from the memo when it was normalised lately.
    pub(super) fn normalise(&mut self, message: &str) -> &str {
        if message.len() > LONGEST {
            self.scratch = normalise_message(message);
            return &self.scratch;
        }
        if let Some(i) = self.entries.iter().position(|(raw, _)| raw == message) {
            return &self.entries[i].1;
        }
        let entry = (message.to_owned(), normalise_message(message));
        let i = if self.entries.len() < ENTRIES {
            self.entries.push(entry);
            self.entries.len() - 1
        } else {
            let i = self.next;
            self.next = (i + 1) % ENTRIES;
            self.entries[i] = entry;
            i
        };
        &self.entries[i].1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever was remembered or replaced, the memo gives what normalising gives.
    #[test]
    fn the_memo_gives_the_normalised_message_after_any_history() {
        let messages: Vec<String> = (0..40)
            .map(|i| format!("messages.{i}.content: unexpected `tool_use_id` req_{i:08x}"))
            .chain([
                String::new(),
                "Overloaded".to_owned(),
                "x-api-key sk-ant-api03-FAKEFAKEFAKE".to_owned(),
                "é".repeat(LONGEST),
            ])
            .collect();
        let mut memo = MessageMemo::default();
        for round in 0..3 {
            for (i, m) in messages.iter().enumerate() {
                // Revisit recent messages out of order, as a log does.
                for m in [m, &messages[(i * 7 + round) % messages.len()]] {
                    assert_eq!(memo.normalise(m), normalise_message(m), "{m}");
                }
            }
        }
        assert!(memo.entries.len() <= ENTRIES);
    }
}
