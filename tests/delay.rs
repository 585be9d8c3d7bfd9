//! `delay` on a put: the item reaches the queue that long after the put, and the sender goes
//! on at once (a message on a cable).

mod common;

use common::run;
use scenario::Format;

/// Items sent with a delay arrive in the order of their arrival times, each recorded as put by
/// its sender when it arrives, even after the sender has ended; a full queue makes an arriving
/// item wait on its own.
#[test]
fn delayed_items_arrive_later_and_the_sender_goes_on() {
    let source = r#"
        [queues.link]
        capacity = 1
        [tasks.sender]
        steps = [
          { put = "link", item = "slow", delay = "3s" },
          { put = "link", item = "fast", delay = "1s", say = "sent both at {elapsed} s" },
        ]
        [tasks.receiver]
        steps = [{ sleep = "5s" }, { repeat = 2, steps = [{ get = "link", say = "got {item} at {elapsed} s" }, { sleep = "1s" }] }]
    "#;
    let (summary, text) = run(source, Format::Plain);
    assert_eq!(text, "sent both at 0 s\ngot fast at 5 s\ngot slow at 6 s\n");
    assert_eq!(summary.failure, None);
    assert_eq!(summary.queues[0].puts, 2);
    // `slow` came at 3 s to a full queue and waited for room until 5 s.
    assert_eq!(summary.queues[0].blocked_puts, 1);
    let (_, timeline) = run(source, Format::Text);
    assert!(timeline.contains("sender    sent slow to link, there in 3 s\n"), "{timeline}");
    assert!(timeline.contains("1.000000  sender    put fast on link\n"), "{timeline}");
    assert!(timeline.contains("5.000000  sender    put slow on link after 2 s"), "{timeline}");
    let (_, jsonl) = run(source, Format::Jsonl);
    assert!(jsonl.contains(r#""event":"sent","queue":"link","item":"slow","delay_ns":3000000000"#), "{jsonl}");
}
