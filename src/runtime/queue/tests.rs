use proptest::prelude::*;

use super::*;

fn item(text: &str) -> Item {
    Item { text: text.into(), put_at: 0, priority: 0, call: 0 }
}

/// The task a freed place wakes (these tests have no open arrivals).
fn task(woken: Option<Woken>) -> Option<TaskId> {
    match woken {
        None => None,
        Some(Woken::Task(t)) => Some(t),
        Some(Woken::Entered { .. }) => panic!("no arrival waits here"),
    }
}

#[test]
fn an_arrival_that_finds_the_queue_full_waits_on_its_own_and_enters_when_there_is_room() {
    let mut q = Queue::new(Some(1), Fairness::Asyncio, Discipline::Fifo);
    assert!(q.try_put(item("a")).is_ok());
    let late = q.try_put(Item { text: "b".into(), put_at: 5, priority: 0, call: 0 }).expect_err("full");
    q.wait_arrival(late, 9);
    let (got, woken) = q.try_get(7).unwrap();
    assert_eq!(got.text, "a");
    match woken {
        Some(Woken::Entered { item_text, put_at, by, getter }) => {
            assert_eq!((item_text.to_string().as_str(), put_at, by, getter), ("b", 5, 9, None));
        }
        other => panic!("{other:?}"),
    }
    let entered = q.items.pop().map(|i| (i.text, i.put_at));
    assert_eq!(entered, Some(("b".into(), 7)), "it entered at 7");
}

#[test]
fn strict_a_woken_getter_is_granted_the_item_and_nobody_takes_it_first() {
    let mut q = Queue::new(None, Fairness::Strict, Discipline::Fifo);
    q.wait_get(7, 0);
    assert_eq!(q.try_put(item("a")).ok(), Some(Some(7)));
    assert!(q.try_get(0).is_none(), "the item is reserved for task 7");
    assert_eq!(q.get_woken(7, 0).0.unwrap().text, "a");
}

#[test]
fn asyncio_whoever_asks_first_takes_the_item_and_the_woken_getter_waits_again() {
    let mut q = Queue::new(None, Fairness::Asyncio, Discipline::Fifo);
    q.wait_get(7, 0);
    assert_eq!(q.try_put(item("a")).ok(), Some(Some(7)));
    assert_eq!(q.try_get(0).unwrap().0.text, "a", "a late getter takes it");
    assert!(q.get_woken(7, 0).0.is_none(), "the woken getter finds the queue empty");
    assert_eq!(q.try_put(item("b")).ok(), Some(Some(7)), "and is woken again by the next put");
}

#[test]
fn strict_a_full_queue_grants_the_freed_place_to_the_first_putter() {
    let mut q = Queue::new(Some(1), Fairness::Strict, Discipline::Fifo);
    assert!(q.try_put(item("a")).is_ok());
    let b = q.try_put(item("b")).expect_err("the queue is full");
    q.wait_put(3);
    let (got, putter) = q.try_get(0).expect("an item is there");
    assert_eq!((got.text.to_string().as_str(), task(putter)), ("a", Some(3)));
    assert!(q.try_put(item("c")).is_err(), "the place is reserved for task 3");
    assert_eq!(q.put_woken(3, b).ok(), Some(None));
}

#[test]
fn a_getter_that_gives_up_after_it_was_woken_hands_the_item_on() {
    for fairness in [Fairness::Strict, Fairness::Asyncio] {
        let mut q = Queue::new(None, fairness, Discipline::Fifo);
        q.wait_get(1, 0);
        q.wait_get(2, 0);
        assert_eq!(q.try_put(item("a")).ok(), Some(Some(1)));
        assert_eq!(q.abandon_get(1, true), Some(2), "{fairness:?}");
    }
}

#[test]
fn a_rendezvous_queue_hands_items_only_to_waiting_getters() {
    for fairness in [Fairness::Strict, Fairness::Asyncio] {
        let mut q = Queue::new(Some(0), fairness, Discipline::Fifo);
        let a = q.try_put(item("a")).expect_err("nobody waits to get");
        q.wait_put(1);
        assert_eq!(task(q.wait_get(2, 0)), Some(1), "{fairness:?}: a getter makes room for the putter");
        assert_eq!(q.put_woken(1, a).ok(), Some(Some(2)), "{fairness:?}");
        assert_eq!(q.get_woken(2, 0).0.unwrap().text, "a");
        assert!(q.try_put(item("b")).is_err(), "{fairness:?}: no room again");
    }
}

/// What a task of the property test is doing with the queue.
#[derive(Debug, Clone, PartialEq)]
enum State {
    Idle,
    Getting { woken: bool },
    Putting { woken: bool, item: usize },
}

#[derive(Debug, Clone)]
enum Action {
    Put(usize),
    Get(usize),
    /// A woken task runs and tries again.
    Run(usize),
    /// A waiting or woken task gives up (a cancellation or a timeout).
    GiveUp(usize),
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        (0..6usize).prop_map(Action::Put),
        (0..6usize).prop_map(Action::Get),
        (0..6usize).prop_map(Action::Run),
        (0..6usize).prop_map(Action::GiveUp),
    ]
}

/// Drives a queue with random interleavings of puts, gets, wake-ups and give-ups by six tasks,
/// checking after each step that nothing is lost, taken twice or out of order, and that no
/// wake-up is lost.
fn check(fairness: Fairness, capacity: Option<usize>, actions: &[Action]) {
    let mut q = Queue::new(capacity, fairness, Discipline::Fifo);
    let mut tasks = vec![State::Idle; 6];
    let (mut next_item, mut entered, mut got) = (0, Vec::new(), Vec::new());
    let wake = |tasks: &mut Vec<State>, t: Option<TaskId>| {
        if let Some(t) = t {
            match &mut tasks[t] {
                State::Getting { woken } | State::Putting { woken, .. } => {
                    assert!(!*woken, "task {t} woken twice");
                    *woken = true;
                }
                State::Idle => panic!("idle task {t} woken"),
            }
        }
    };
    for a in actions {
        match *a {
            Action::Put(t) if tasks[t] == State::Idle => {
                let n = next_item;
                next_item += 1;
                match q.try_put(item(&n.to_string())) {
                    Ok(getter) => {
                        entered.push(n);
                        wake(&mut tasks, getter);
                    }
                    Err(_) => {
                        q.wait_put(t);
                        tasks[t] = State::Putting { woken: false, item: n };
                    }
                }
            }
            Action::Get(t) if tasks[t] == State::Idle => match q.try_get(0) {
                Some((it, putter)) => {
                    got.push(it.text.to_string().parse::<usize>().unwrap());
                    wake(&mut tasks, task(putter));
                }
                None => {
                    let putter = task(q.wait_get(t, 0));
                    tasks[t] = State::Getting { woken: false };
                    wake(&mut tasks, putter);
                }
            },
            Action::Run(t) => match tasks[t].clone() {
                State::Getting { woken: true } => {
                    let (got_item, putter) = q.get_woken(t, 0);
                    match got_item {
                        Some(it) => {
                            got.push(it.text.to_string().parse::<usize>().unwrap());
                            tasks[t] = State::Idle;
                        }
                        None => {
                            assert_eq!(fairness, Fairness::Asyncio, "a strict woken getter always gets");
                            tasks[t] = State::Getting { woken: false };
                        }
                    }
                    wake(&mut tasks, task(putter));
                }
                State::Putting { woken: true, item: n } => match q.put_woken(t, item(&n.to_string())) {
                    Ok(getter) => {
                        entered.push(n);
                        tasks[t] = State::Idle;
                        wake(&mut tasks, getter);
                    }
                    Err(_) => {
                        assert_eq!(fairness, Fairness::Asyncio, "a strict woken putter always puts");
                        tasks[t] = State::Putting { woken: false, item: n };
                    }
                },
                _ => {}
            },
            Action::GiveUp(t) => match tasks[t].clone() {
                State::Getting { woken } => {
                    tasks[t] = State::Idle;
                    let next = q.abandon_get(t, woken);
                    wake(&mut tasks, next);
                }
                State::Putting { woken, .. } => {
                    tasks[t] = State::Idle;
                    let next = task(q.abandon_put(t, woken, 0));
                    wake(&mut tasks, next);
                }
                State::Idle => {}
            },
            _ => {}
        }
        // Items leave in the order they entered the queue, each once.
        assert_eq!(got, entered[..got.len()], "{fairness:?}: out of order");
        // No lost wake-up: while items wait and getters wait, some getter has been woken.
        let woken_getters = tasks.iter().filter(|s| **s == State::Getting { woken: true }).count();
        if !q.items.is_empty() && !q.getters.is_empty() {
            assert!(woken_getters > 0, "{fairness:?}: items and getters wait, nobody woken");
        }
        let woken_putters = tasks.iter().filter(|s| matches!(s, State::Putting { woken: true, .. })).count();
        if !q.putters.is_empty() && !q.full() {
            assert!(woken_putters > 0, "{fairness:?}: room and putters wait, nobody woken");
        }
        if fairness == Fairness::Strict {
            assert_eq!(q.reserved_items, woken_getters, "each woken getter has exactly its item reserved");
            assert!(q.items.len() >= q.reserved_items);
        }
    }
}

proptest! {
    #[test]
    fn random_interleavings_lose_nothing_and_wake_someone(
        actions in proptest::collection::vec(action(), 0..80),
        capacity in prop_oneof![Just(None), Just(Some(0)), Just(Some(1)), Just(Some(3))],
    ) {
        check(Fairness::Strict, capacity, &actions);
        check(Fairness::Asyncio, capacity, &actions);
    }
}

/// FIFO takes the oldest, LIFO the newest, priority the lowest priority and, among equal ones,
/// the oldest (asyncio's Queue, LifoQueue and PriorityQueue).
#[test]
fn each_discipline_takes_its_item() {
    let order = |discipline: Discipline| {
        let mut q = Queue::new(None, Fairness::Asyncio, discipline);
        for (text, priority) in [("a", 2), ("b", 1), ("c", 2), ("d", 0), ("e", 1)] {
            assert!(q.try_put(Item { text: text.into(), put_at: 0, priority, call: 0 }).is_ok());
            assert_eq!(q.back_len(), text.len());
        }
        std::iter::from_fn(|| q.try_get(0).map(|(i, _)| i.text.to_string())).collect::<Vec<_>>().concat()
    };
    assert_eq!(order(Discipline::Fifo), "abcde");
    assert_eq!(order(Discipline::Lifo), "edcba");
    assert_eq!(order(Discipline::Priority), "dbeac");
}

/// An item's value is no larger than the `SmolStr` it holds: the number fits in its niche.
#[test]
fn an_item_value_is_as_small_as_its_text() {
    assert_eq!(size_of::<ItemValue>(), size_of::<SmolStr>());
    assert_eq!(size_of::<Item>(), 48);
}
