//! Against SimPy 4, where it is installed: the same model in SimPy and here, over many seeds,
//! must agree on its key figures. Skipped, visibly, when Python or SimPy is missing.

mod common;

use std::io::Write as _;
use std::process::Command;

use scenario::{Format, Run, Scenario};

/// Runs a Python program; `None` (and a SKIPPED line) when Python or SimPy is missing.
fn python(program: &str) -> Option<String> {
    let probe = Command::new("python3").args(["-c", "import simpy"]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: SimPy is not installed (pip install simpy); the SimPy comparison did not run"
        );
        return None;
    }
    let out = Command::new("python3").args(["-c", program]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    Some(String::from_utf8(out.stdout).unwrap())
}

/// Two numbers a line, as the SimPy programs print them.
fn pairs(out: &str) -> Vec<(f64, f64)> {
    out.lines()
        .map(|l| {
            let (a, b) = l.split_once(' ').unwrap();
            (a.parse().unwrap(), b.parse().unwrap())
        })
        .collect()
}

/// Runs `scenario` with seeds 1 to `runs`, plain, each to its end without a failure, and picks
/// a figure from each run.
fn per_seed<T>(scenario: &Scenario, runs: u64, mut pick: impl FnMut(&Run) -> T) -> Vec<T> {
    (1..=runs)
        .map(|seed| {
            let run = scenario.clone().seed(seed).format(Format::Plain).run();
            assert_eq!(run.summary.failure, None, "seed {seed}");
            pick(&run)
        })
        .collect()
}

/// `simpy` and `ours` must agree within four standard errors of the difference of their means.
fn assert_agree(what: &str, simpy: &[f64], ours: &[f64]) {
    let ((a, sa), (b, sb)) = (mean_se(simpy), mean_se(ours));
    let _ = writeln!(std::io::stderr(), "{what}: SimPy {a:.4} ± {sa:.4}, scenario {b:.4} ± {sb:.4}");
    assert!(
        (a - b).abs() < 4.0 * (sa * sa + sb * sb).sqrt(),
        "{what}: SimPy {a:.4} ± {sa:.4}, scenario {b:.4} ± {sb:.4}"
    );
}

/// Each column of `simpy` and `ours` must agree (see [`assert_agree`]).
fn assert_columns_agree(names: [&str; 2], simpy: &[(f64, f64)], ours: &[(f64, f64)]) {
    for (k, what) in names.into_iter().enumerate() {
        let column = |v: &[(f64, f64)]| v.iter().map(|p| if k == 0 { p.0 } else { p.1 }).collect::<Vec<_>>();
        assert_agree(what, &column(simpy), &column(ours));
    }
}

/// The mean and standard error of some numbers.
fn mean_se(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// SimPy's Bank Renege (one counter, customers every 10 s on average, patience uniform from 1
/// to 3 s, 12 s at the counter on average): the share of customers who renege, 1 000 customers
/// a run, 30 runs each, must agree within four standard errors of the difference.
#[test]
fn bank_renege_agrees_with_simpy() {
    const RUNS: u64 = 30;
    const CUSTOMERS: u64 = 1000;
    let program = format!(
        r#"
import random, simpy
def run(seed):
    random.seed(seed)
    env = simpy.Environment()
    counter = simpy.Resource(env, capacity=1)
    reneged = [0]
    def customer(env):
        with counter.request() as req:
            patience = random.uniform(1, 3)
            results = yield req | env.timeout(patience)
            if req in results:
                yield env.timeout(random.expovariate(1.0 / 12.0))
            else:
                reneged[0] += 1
    def source(env):
        for i in range({CUSTOMERS}):
            env.process(customer(env))
            yield env.timeout(random.expovariate(1.0 / 10.0))
    env.process(source(env))
    env.run()
    return reneged[0] / {CUSTOMERS}
for seed in range({RUNS}):
    print(run(seed))
"#
    );
    let Some(out) = python(&program) else { return };
    let simpy: Vec<f64> = out.lines().map(|l| l.parse().unwrap()).collect();
    let source = std::fs::read_to_string("scenarios/bank_renege.toml").unwrap();
    assert!(source.contains("total = 5\n"));
    let source = source.replace("total = 5\n", &format!("total = {CUSTOMERS}\n"));
    let scenario = Scenario::from_source("bank_renege.toml", source).unwrap();
    let ours = per_seed(&scenario, RUNS, |run| {
        let customer = run.summary.tasks.iter().find(|t| t.name == "customer").unwrap();
        assert_eq!(customer.completed, CUSTOMERS);
        customer.timeouts as f64 / CUSTOMERS as f64
    });
    assert_agree("reneged", &simpy, &ours);
}

/// SimPy's Gas Station Refueling (two pumps, a 200 l tank, cars every 30 to 300 s needing 25
/// to 45 l at 2 l/s, a truck 300 s after the tank is seen below 50 l): over 1000 s, the cars
/// refuelled and the trucks that arrived, 400 runs each, must agree within four standard errors
/// of the difference.
#[test]
fn gas_station_agrees_with_simpy() {
    const RUNS: u64 = 400;
    let program = format!(
        r#"
import random, simpy
def run(seed):
    random.seed(seed)
    env = simpy.Environment()
    pumps = simpy.Resource(env, 2)
    tank = simpy.Container(env, 200, init=200)
    counts = [0, 0]
    def car(env):
        level = random.randint(5, 25)
        with pumps.request() as req:
            yield req
            fuel = 50 - level
            yield tank.get(fuel)
            yield env.timeout(fuel / 2)
            counts[0] += 1
    def truck(env):
        yield env.timeout(300)
        tank.put(tank.capacity - tank.level)
        counts[1] += 1
    def control(env):
        while True:
            if tank.level / tank.capacity * 100 < 25:
                yield env.process(truck(env))
            yield env.timeout(10)
    def cars(env):
        while True:
            yield env.timeout(random.randint(30, 300))
            env.process(car(env))
    env.process(control(env))
    env.process(cars(env))
    env.run(until=1000)
    return counts
for seed in range({RUNS}):
    print(*run(seed))
"#
    );
    let Some(out) = python(&program) else { return };
    let simpy = pairs(&out);
    let ours = per_seed(&common::file("scenarios/gas_station.toml"), RUNS, |run| {
        let car = run.summary.tasks.iter().find(|t| t.name == "car").unwrap();
        (car.completed as f64, run.summary.containers[0].fills as f64)
    });
    assert_columns_agree(["cars refuelled", "trucks arrived"], &simpy, &ours);
}

/// SimPy's Machine Shop (ten machines, parts of normal(10, 2) minutes, failures every 300
/// minutes on average, 30-minute repairs by one repairman who preempts his own 30-minute other
/// jobs): the parts a machine makes in one week, averaged over the ten machines of a run (they
/// share the repairman, so a run is the unit), 30 runs each, must agree within four standard
/// errors of the difference.
#[test]
fn machine_shop_agrees_with_simpy() {
    const RUNS: u64 = 30;
    let program = format!(
        r#"
import random, simpy
def run(seed):
    random.seed(seed)
    env = simpy.Environment()
    repairman = simpy.PreemptiveResource(env, capacity=1)
    made = []
    class Machine:
        def __init__(self):
            self.parts = 0
            self.broken = False
            self.process = env.process(self.working())
            env.process(self.breaking())
        def working(self):
            while True:
                done_in = random.normalvariate(10.0, 2.0)
                while done_in <= 0:
                    done_in = random.normalvariate(10.0, 2.0)
                while done_in:
                    try:
                        start = env.now
                        yield env.timeout(done_in)
                        done_in = 0
                    except simpy.Interrupt:
                        self.broken = True
                        done_in -= env.now - start
                        with repairman.request(priority=1) as req:
                            yield req
                            yield env.timeout(30.0)
                        self.broken = False
                self.parts += 1
        def breaking(self):
            while True:
                yield env.timeout(random.expovariate(1 / 300.0))
                if not self.broken:
                    self.process.interrupt()
    def other_jobs():
        while True:
            done_in = 30.0
            while done_in:
                with repairman.request(priority=2) as req:
                    yield req
                    try:
                        start = env.now
                        yield env.timeout(done_in)
                        done_in = 0
                    except simpy.Interrupt:
                        done_in -= env.now - start
    machines = [Machine() for _ in range(10)]
    env.process(other_jobs())
    env.run(until=7 * 24 * 60)
    return [m.parts for m in machines]
for seed in range({RUNS}):
    print(sum(run(seed)) / 10)
"#
    );
    let Some(out) = python(&program) else { return };
    let simpy: Vec<f64> = out.lines().map(|p| p.parse().unwrap()).collect();
    let source = std::fs::read_to_string("scenarios/machine_shop.toml").unwrap();
    let scenario = Scenario::from_source_with("machine_shop.toml", source, &["weeks=1".to_owned()]).unwrap();
    let ours = per_seed(&scenario, RUNS, |run| {
        let parts: Vec<f64> = run
            .transcript
            .lines()
            .filter_map(|l| l.split(" made ").nth(1)?.strip_suffix(" parts.")?.parse().ok())
            .collect();
        assert_eq!(parts.len(), 10);
        parts.iter().sum::<f64>() / 10.0
    });
    assert_agree("parts a machine a week", &simpy, &ours);
}

/// SimPy's Carwash (two machines, 5 units a wash, four cars at the opening and one every 5 to 9
/// units): the cars washed and the cars still waiting at 20, 400 runs each, must agree within
/// four standard errors of the difference.
#[test]
fn carwash_agrees_with_simpy() {
    const RUNS: u64 = 400;
    let program = format!(
        r#"
import random, simpy
def run(seed):
    random.seed(seed)
    env = simpy.Environment()
    machine = simpy.Resource(env, 2)
    counts = [0, 0]
    def car(env):
        with machine.request() as request:
            yield request
            counts[1] += 1
            yield env.timeout(5)
            random.randint(50, 99)
            counts[0] += 1
    def setup(env):
        for i in range(4):
            env.process(car(env))
        while True:
            yield env.timeout(random.randint(5, 9))
            env.process(car(env))
    env.process(setup(env))
    env.run(until=20)
    return counts
for seed in range({RUNS}):
    print(*run(seed))
"#
    );
    let Some(out) = python(&program) else { return };
    let simpy = pairs(&out);
    let ours = per_seed(&common::file("scenarios/carwash.toml"), RUNS, |run| {
        let count = |what: &str| run.transcript.lines().filter(|l| l.contains(what)).count() as f64;
        (count(" leaves the carwash"), count(" enters the carwash"))
    });
    assert_columns_agree(["cars washed", "cars that got a machine"], &simpy, &ours);
}

/// SimPy's Event Latency (a message every 5 units, delivered 10 units later, until 100) has no
/// chance in it: SimPy's output and the scenario's plain transcript must be the same lines.
#[test]
fn event_latency_prints_what_simpy_prints() {
    let program = r#"
import simpy
env = simpy.Environment()
store = simpy.Store(env)
def latency(value):
    yield env.timeout(10)
    store.put(value)
def sender():
    while True:
        yield env.timeout(5)
        env.process(latency(f'Sender sent this at {env.now}'))
def receiver():
    while True:
        msg = yield store.get()
        print(f'Received this at {env.now} while {msg}')
env.process(sender())
env.process(receiver())
env.run(until=100)
"#;
    let Some(simpy) = python(program) else { return };
    let ours = common::file("scenarios/event_latency.toml").format(Format::Plain).run();
    assert_eq!(ours.summary.failure, None);
    assert_eq!(ours.transcript, simpy);
    assert_eq!(simpy.lines().count(), 17);
}

/// SimPy's Process Communication, one-to-many (a message every 6 to 10 units to two
/// consumers that work 4 to 8 units each): the messages received by time 100 and the share of
/// them that came late, 300 runs each, must agree within four standard errors.
#[test]
fn process_communication_agrees_with_simpy() {
    const RUNS: u64 = 300;
    let program = format!(
        r#"
import random, simpy
def run(seed):
    random.seed(seed)
    env = simpy.Environment()
    pipes = [simpy.Store(env), simpy.Store(env)]
    counts = [0, 0]
    def generator():
        while True:
            yield env.timeout(random.randint(6, 10))
            for pipe in pipes:
                pipe.put(env.now)
    def consumer(pipe):
        while True:
            sent = yield pipe.get()
            counts[0] += 1
            if sent < env.now:
                counts[1] += 1
            yield env.timeout(random.randint(4, 8))
    env.process(generator())
    for pipe in pipes:
        env.process(consumer(pipe))
    env.run(until=100)
    return counts
for seed in range({RUNS}):
    print(*run(seed))
"#
    );
    let Some(out) = python(&program) else { return };
    let simpy = pairs(&out);
    let ours = per_seed(&common::file("scenarios/process_communication.toml"), RUNS, |run| {
        let received = run.transcript.lines().count() as f64;
        (received, run.transcript.lines().filter(|l| l.starts_with("LATE")).count() as f64)
    });
    assert_columns_agree(["messages received", "late"], &simpy, &ours);
}

/// SimPy's Movie Renege (one counter, three movies of 50 tickets, moviegoers every 0.5 units
/// for 1 to 6 tickets, each waiting for the counter or the sell-out, whichever comes first):
/// when the movies sell out (the mean of the three times; all three sell out by time 120) and
/// the moviegoers who reneged, 200 runs each, must agree within four standard errors of the
/// difference.
#[test]
fn movie_renege_agrees_with_simpy() {
    const RUNS: u64 = 200;
    let program = format!(
        r#"
import random, simpy
def run(seed):
    random.seed(seed)
    env = simpy.Environment()
    counter = simpy.Resource(env, capacity=1)
    movies = [0, 1, 2]
    available = {{m: 50 for m in movies}}
    sold_out = {{m: env.event() for m in movies}}
    renegers = [0]
    when = []
    def moviegoer(movie, num_tickets):
        with counter.request() as my_turn:
            result = yield my_turn | sold_out[movie]
            if my_turn not in result:
                renegers[0] += 1
                return
            if available[movie] < num_tickets:
                yield env.timeout(0.5)
                return
            available[movie] -= num_tickets
            if available[movie] < 2:
                sold_out[movie].succeed()
                when.append(env.now)
                available[movie] = 0
            yield env.timeout(1)
    def arrivals():
        while True:
            yield env.timeout(random.expovariate(1 / 0.5))
            movie = random.choice(movies)
            num_tickets = random.randint(1, 6)
            if available[movie]:
                env.process(moviegoer(movie, num_tickets))
    env.process(arrivals())
    env.run(until=120)
    assert len(when) == 3
    return sum(when) / 3, renegers[0]
for seed in range({RUNS}):
    print(*run(seed))
"#
    );
    let Some(out) = python(&program) else { return };
    let simpy = pairs(&out);
    let ours = per_seed(&common::file("scenarios/movie_renege.toml"), RUNS, |run| {
        let when: Vec<f64> = run
            .transcript
            .lines()
            .filter_map(|l| l.split(" sold out ").nth(1)?.split(' ').next()?.parse().ok())
            .collect();
        assert_eq!(when.len(), 3, "{}", run.transcript);
        let renegers: i64 = run.summary.counters.iter().map(|c| c.value).sum();
        (when.iter().sum::<f64>() / 3.0, renegers as f64)
    });
    assert_columns_agree(["mean time a movie sold out", "moviegoers who reneged"], &simpy, &ours);
}
