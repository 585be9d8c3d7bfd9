//! Request and reply: `call` puts a request and waits for the reply to it, `reply` answers the
//! request the server last got; a reply to a caller that gave up is late, and `call.abandoned`
//! lets a server skip such requests.

mod common;

use common::{errors, run};
use scenario::Format;

/// Each reply reaches the caller of its own request, whatever order they are served in (a
/// LIFO queue serves the last caller first); `{item}` is the reply and `{waited}` the response
/// time, which the statistics keep exactly.
#[test]
fn a_reply_reaches_its_own_caller() {
    let source = r#"
        [queues.q]
        discipline = "lifo"
        [tasks.client]
        count = 3
        steps = [{ call = "q", item = "question {i}", say = "client {i} got {item} after {waited} s" }]
        [tasks.server]
        steps = [
          { sleep = "1s" },
          { repeat = 3, steps = [{ get = "q" }, { sleep = "2s" }, { reply = "q", item = "answer to {item}" }] },
        ]
    "#;
    let (summary, text) = run(source, Format::Plain);
    assert_eq!(
        text,
        "client 2 got answer to question 2 after 3 s\n\
         client 1 got answer to question 1 after 5 s\n\
         client 0 got answer to question 0 after 7 s\n"
    );
    let q = &summary.queues[0];
    assert_eq!((q.replies, q.late_replies), (3, 0));
    assert_eq!(q.responses.mean_ns(), Some(5_000_000_000));
    let (_, jsonl) = run(source, Format::Jsonl);
    assert!(
        jsonl.contains(r#""event":"answered","queue":"q","reply":"answer to question 2","response_ns":3000000000"#),
        "{jsonl}"
    );
}

/// A caller that gives up leaves its request in the queue: a server that does not check
/// replies late (counted); one that checks `call.abandoned` skips it.
#[test]
fn late_replies_are_counted_and_abandoned_calls_can_be_skipped() {
    let source = r#"
        [queues.q]
        [tasks.client]
        count = 2
        steps = [{ timeout = "1500ms", steps = [{ call = "q" }], on-timeout = [{ say = "client {i} gave up" }] }]
        [tasks.server]
        steps = [{ repeat = 2, steps = [{ get = "q" }, CHECK ] }]
    "#;
    let work = r#"{ sleep = "1s" }, { reply = "q", say = "replied at {elapsed} s" }"#;
    let blind = source.replace("CHECK", work);
    let (summary, text) = run(&blind, Format::Plain);
    assert_eq!(text, "replied at 1 s\nclient 1 gave up\nreplied at 2 s\n");
    assert_eq!((summary.queues[0].replies, summary.queues[0].late_replies), (1, 1));
    let checking = source.replace(
        "CHECK",
        &format!(r#"{{ when = "call.abandoned", steps = [{{ say = "skipped at {{elapsed}} s" }}], else = [{work}] }}"#),
    );
    let checking = checking.replace("1500ms", "500ms");
    let (summary, text) = run(&checking, Format::Plain);
    assert_eq!(text, "client 0 gave up\nclient 1 gave up\nreplied at 1 s\nskipped at 1 s\n");
    assert_eq!((summary.queues[0].replies, summary.queues[0].late_replies), (0, 1));
}

/// `reply` with no request to answer fails the task; a call nobody answers is a deadlock whose
/// report says so; thresholds read the reply metrics.
#[test]
fn mistakes_and_stuck_calls_are_reported() {
    let (summary, _) = run("[queues.q]\n[main]\nsteps = [{ reply = \"q\" }]\n", Format::Silent);
    let failure = summary.failure.expect("a failed main");
    assert!(failure.message.contains("there is no request from `q` to reply to"), "{}", failure.message);
    let (summary, _) = run("[queues.q]\n[main]\nsteps = [{ call = \"q\" }]\n", Format::Silent);
    let failure = summary.failure.expect("a deadlock");
    assert!(failure.message.contains("main waits for the reply to its call"), "{}", failure.message);
    let shown = errors("[queues.q]\n[main]\nsteps = [{ call = \"qq\" }, { wait-until = \"call.abandoned\" }]\n");
    assert!(shown.contains("unknown queue `qq`"), "{shown}");
    assert!(shown.contains("`wait-until` waits for a counter"), "{shown}");
    let scenario = common::scenario(
        "[queues.q]\n[main]\nsteps = [{ say = \"x\" }]\n[thresholds]\n\"queue.q.late-replies\" = \"== 0\"\n\"queue.q.response.p99\" = \"< 1s\"\n",
    );
    let (summary, _) = run("[queues.q]\n[main]\nsteps = [{ say = \"x\" }]\n", Format::Silent);
    let verdicts = scenario.check_thresholds(&summary);
    assert!(verdicts[0].held);
    assert_eq!(verdicts[1].value, None, "no call was answered: nothing to measure");
}

/// A number as an item (`{n}`, the default item of a put and of a call) is kept as a number
/// from the put to the sinks, and reads as its text wherever it shows: in `{item}` with a
/// format spec, in a reply that echoes the request, on the timeline, and as a JSON string.
#[test]
fn a_number_item_reads_as_its_text_everywhere() {
    let source = r#"
        [queues.q]
        [tasks.client]
        steps = [{ repeat = 2, steps = [{ call = "q", say = "client got {item}" }] }]
        [tasks.server]
        steps = [{ repeat = 2, steps = [{ get = "q", say = "server got [{item:>4}]" }, { reply = "q" }] }]
    "#;
    let (_, text) = run(source, Format::Plain);
    assert_eq!(text, "server got [   0]\nclient got 0\nserver got [   1]\nclient got 1\n");
    let (_, text) = run(source, Format::Text);
    for line in
        ["client  put 1 on q\n", "server  got 1 from q, queued 0 s\n", "client  got the reply 1 from q after 0 s\n"]
    {
        assert!(text.contains(line), "{line:?} in\n{text}");
    }
    let (_, jsonl) = run(source, Format::Jsonl);
    for item in [r#""event":"put","queue":"q","item":"1","#, r#""event":"get","queue":"q","item":"1","#] {
        assert!(jsonl.contains(item), "{item} in\n{jsonl}");
    }
}
