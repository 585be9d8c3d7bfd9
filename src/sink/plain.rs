//! `--format plain`: only what the scenario says, exactly as the modelled program would print it.

use std::io::{self, Write};

use super::{Lines, Sink, Summary};
use crate::event::{Event, EventKind, Model};

/// Prints each `say` message on a line of its own, and nothing else.
pub struct Plain {
    pub(super) lines: Lines,
}

impl Plain {
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        Plain { lines: Lines::new(out, u64::MAX) }
    }
}

impl Sink for Plain {
    fn stopped(&self) -> Option<&io::Error> {
        self.lines.error.as_ref()
    }

    fn event(&mut self, _: &Model, event: &Event<'_>) {
        if let EventKind::Say { text } = event.kind {
            self.lines.line.push_str(text);
            self.lines.line.push('\n');
            self.lines.flush_line();
        }
    }

    fn end(&mut self, _: &Model, _: &Summary) -> io::Result<()> {
        self.lines.finish()
    }

    fn takes_only_says(&self) -> bool {
        true
    }
}
