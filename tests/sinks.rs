//! Sinks: a run hands every event to each of its sinks, in order, and several outputs can come
//! from one run.

mod common;

use std::sync::{Arc, Mutex};

use scenario::event::{Event, EventKind, Model};
use scenario::sink::{Jsonl, Memory, Sink, Timeline};
use scenario::{Format, Scenario, Summary};

/// Records what it is told, to check the order of calls.
#[derive(Default)]
struct Recorder {
    log: Arc<Mutex<Vec<String>>>,
}

impl Sink for Recorder {
    fn begin(&mut self, model: &Model, seed: u64) {
        self.log.lock().unwrap().push(format!("begin {seed} {:?}", model.queues));
    }
    fn event(&mut self, model: &Model, event: &Event<'_>) {
        let what = match event.kind {
            EventKind::Put { queue, item, .. } => format!("put {item} on {}", model.queues[queue]),
            EventKind::Get { queue, item, .. } => format!("get {item} from {}", model.queues[queue]),
            EventKind::End { outcome, .. } => outcome.as_str().to_owned(),
            _ => return,
        };
        self.log.lock().unwrap().push(format!("{} {} {what}", event.time, event.task));
    }
    fn end(&mut self, _: &Model, summary: &Summary) -> std::io::Result<()> {
        self.log.lock().unwrap().push(format!("end {} events", summary.events));
        Ok(())
    }
}

const SOURCE: &str = r#"
seed = 3
[queues.q]
[tasks.producer]
steps = [{ put = "q", item = "a" }, { sleep = "1s" }, { put = "q", item = "b" }]
[tasks.consumer]
steps = [{ repeat = 2, steps = [{ get = "q" }] }]
"#;

#[test]
fn a_sink_sees_begin_every_event_in_order_and_end() {
    let scenario = Scenario::from_source("q.toml", SOURCE).unwrap();
    let recorder = Recorder::default();
    let log = recorder.log.clone();
    let summary = scenario.run_with(vec![Box::new(recorder)], false);
    assert_eq!(summary.failure, None);
    assert_eq!(
        *log.lock().unwrap(),
        [
            "begin 3 [\"q\"]",
            "0 producer put a on q",
            "0 consumer get a from q",
            "1000000000 producer put b on q",
            "1000000000 producer completed",
            "1000000000 consumer get b from q",
            "1000000000 consumer completed",
            "1000000000 main completed",
            &format!("end {} events", summary.events),
        ]
    );
}

#[test]
fn one_run_feeds_several_sinks_the_same_events() {
    let scenario = Scenario::from_source("q.toml", SOURCE).unwrap();
    let (timeline, jsonl) = (Memory::default(), Memory::default());
    let sinks: Vec<Box<dyn Sink>> =
        vec![Box::new(Timeline::new(Box::new(timeline.clone()))), Box::new(Jsonl::new(Box::new(jsonl.clone())))];
    scenario.run_with(sinks, false);
    assert_eq!(timeline.take_string(), scenario.clone().format(Format::Text).run().transcript);
    assert_eq!(jsonl.take_string(), scenario.format(Format::Jsonl).run().transcript);
}

#[test]
fn statistics_are_collected_only_when_asked_for() {
    let scenario = Scenario::from_source("q.toml", SOURCE).unwrap();
    let plain = Format::Plain.sink(Box::new(std::io::sink())).unwrap();
    let without = scenario.run_with(vec![plain], false);
    assert!(without.queues.is_empty() && without.tasks.is_empty());
    let with = scenario.run_with(Vec::new(), true);
    assert_eq!((with.queues[0].puts, with.queues[0].gets), (2, 2));
    // How the run ended is known either way.
    assert_eq!((without.end, without.events, without.failure), (with.end, with.events, with.failure));
}

/// Logs the kind of every event it is handed; takes only `say`s when `only_says`.
struct Kinds {
    log: Arc<Mutex<Vec<String>>>,
    only_says: bool,
}

impl Sink for Kinds {
    fn event(&mut self, _: &Model, event: &Event<'_>) {
        let what = match event.kind {
            EventKind::Say { text } => format!("say {text}"),
            EventKind::Put { .. } => "put".into(),
            EventKind::Get { .. } => "get".into(),
            _ => "other".into(),
        };
        self.log.lock().unwrap().push(what);
    }
    fn takes_only_says(&self) -> bool {
        self.only_says
    }
}

/// A sink that takes only `say` events is handed those and nothing else, beside a sink that
/// takes every event in the same run.
#[test]
fn a_sink_that_takes_only_says_is_handed_only_says() {
    let source = r#"
        [queues.q]
        [tasks.producer]
        steps = [{ say = "one" }, { put = "q", item = "a" }, { sleep = "1s" }, { say = "two" }]
        [tasks.consumer]
        steps = [{ get = "q" }, { say = "got it" }]
    "#;
    let scenario = Scenario::from_source("says.toml", source).unwrap();
    let (says, every) = (Arc::default(), Arc::default());
    let sinks: Vec<Box<dyn Sink>> = vec![
        Box::new(Kinds { log: Arc::clone(&says), only_says: true }),
        Box::new(Kinds { log: Arc::clone(&every), only_says: false }),
    ];
    assert_eq!(scenario.run_with(sinks, false).failure, None);
    assert_eq!(*says.lock().unwrap(), ["say one", "say got it", "say two"]);
    let every = every.lock().unwrap();
    assert!(every.iter().any(|k| k == "put") && every.iter().any(|k| k == "get"), "{every:?}");
    let says_in_every: Vec<&String> = every.iter().filter(|k| k.starts_with("say")).collect();
    assert_eq!(says_in_every, ["say one", "say got it", "say two"]);
}

/// The statistics are handed only the kinds of event they count when no sink takes every
/// event (`Statistics::takes`): every example's summary must be the same whether a sink takes
/// every event (JSONL) or only says (plain), so a kind that counts must never be left out.
#[test]
fn statistics_do_not_depend_on_which_sinks_take_the_events() {
    let files = common::examples();
    assert!(files.len() > 30, "{files:?}");
    for file in files {
        let scenario = Scenario::load(&file).unwrap();
        let summary = |format: Format| {
            let sinks = format.sink(Box::new(std::io::sink())).into_iter().collect();
            serde_json::to_string(&scenario.run_with(sinks, true)).unwrap()
        };
        let plain = summary(Format::Plain);
        assert!(plain.contains("\"queues\""), "{}: {plain}", file.display());
        assert_eq!(plain, summary(Format::Jsonl), "{}", file.display());
    }
}
