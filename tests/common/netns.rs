//! Network namespaces for tests against real interfaces and real traffic:
//! each namespace is created fresh (its own `lo`, counters nobody else
//! moves) and deleted on drop. Needs root and iproute2; see [`super::require`].

use super::{has_program, is_root, require, Sandbox};
use std::ffi::OsStr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A network namespace deleted on drop.
pub struct Namespace {
    pub name: String,
}

impl Namespace {
    /// A fresh namespace with `lo` up and IPv6 off (so that no router or
    /// neighbour solicitation moves a counter behind the test's back), or
    /// `None` when namespaces cannot be made here (a failure under CI).
    pub fn create(tag: &str) -> Option<Namespace> {
        if !require(is_root(), "network namespaces need root")
            || !require(has_program("ip"), "network namespaces need iproute2's ip")
        {
            return None;
        }
        let name = format!("netmon-{tag}-{}", std::process::id());
        let _ = Command::new("ip").args(["netns", "del", &name]).output();
        let created = Command::new("ip").args(["netns", "add", &name]).status();
        if !require(created.is_ok_and(|s| s.success()), "'ip netns add' failed") {
            return None;
        }
        let namespace = Namespace { name };
        namespace.ip(&["link", "set", "lo", "up"]);
        namespace.exec(&["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"]);
        namespace.exec(&["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"]);
        Some(namespace)
    }

    /// Runs `ip -n NAME ARGS`, which must succeed.
    pub fn ip<S: AsRef<OsStr>>(&self, args: &[S]) {
        let status = Command::new("ip")
            .arg("-n")
            .arg(&self.name)
            .args(args)
            .status()
            .unwrap();
        assert!(status.success(), "ip -n {} failed", self.name);
    }

    /// Runs a program inside the namespace, which must succeed; its stdout.
    pub fn exec<S: AsRef<OsStr>>(&self, args: &[S]) -> String {
        let output = Command::new("ip")
            .args(["netns", "exec", &self.name])
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "in {}: {}",
            self.name,
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// A veth pair `a` (here) and `b` (in `peer`), addressed 10.x.0.1/2 and up.
    pub fn veth_to(&self, peer: &Namespace, a: &str, b: &str, subnet: u8) {
        self.ip(&[
            "link", "add", a, "type", "veth", "peer", "name", b, "netns", &peer.name,
        ]);
        self.ip(&["addr", "add", &format!("10.{subnet}.0.1/24"), "dev", a]);
        peer.ip(&["addr", "add", &format!("10.{subnet}.0.2/24"), "dev", b]);
        self.ip(&["link", "set", a, "up"]);
        peer.ip(&["link", "set", b, "up"]);
    }

    /// A sysfs statistic of `interface` as seen inside the namespace.
    pub fn statistic(&self, interface: &str, name: &str) -> i64 {
        self.statistic_raw(OsStr::new(interface), name)
    }

    /// [`Namespace::statistic`] for a name that need not be UTF-8.
    pub fn statistic_raw(&self, interface: &OsStr, name: &str) -> i64 {
        use std::os::unix::ffi::OsStrExt;
        let mut path = b"/sys/class/net/".to_vec();
        path.extend_from_slice(interface.as_bytes());
        path.extend_from_slice(format!("/statistics/{name}").as_bytes());
        let path = OsStr::from_bytes(&path);
        self.exec(&[OsStr::new("cat"), path])
            .trim()
            .parse()
            .unwrap()
    }

    /// netmon, isolated like `Sandbox::command`, but inside the namespace.
    pub fn netmon(&self, sandbox: &Sandbox, args: &[&str]) -> Command {
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", &self.name])
            .arg(assert_cmd::cargo::cargo_bin("netmon"))
            .args(args)
            .current_dir(sandbox.dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", sandbox.dir.path())
            .env("TZ", "UTC")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        command
    }

    /// Runs `work` on a thread that has entered the namespace.
    pub fn run_inside<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> T {
        let path = format!("/run/netns/{}", self.name);
        std::thread::spawn(move || {
            let handle = std::fs::File::open(path).unwrap();
            nix::sched::setns(handle, nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
            work()
        })
        .join()
        .unwrap()
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// An iperf3 server in `server` (one test, then it exits) and a client in
/// `client` sending `args` to `address`.
pub fn iperf3(server: &Namespace, client: &Namespace, address: &str, args: &[&str]) {
    let mut daemon = Command::new("ip")
        .args([
            "netns",
            "exec",
            &server.name,
            "iperf3",
            "-s",
            "-1",
            "-B",
            address,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", &client.name, "iperf3", "-c", address])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if command.status().unwrap().success() {
            break;
        }
        assert!(Instant::now() < deadline, "iperf3 could not connect");
        std::thread::sleep(Duration::from_millis(50));
    }
    daemon.wait().unwrap();
}
