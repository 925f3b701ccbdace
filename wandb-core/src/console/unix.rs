//! File-descriptor level capture on Unix: fds 1 and 2 are pointed at a pipe
//! (or, when the original is a terminal, at a pseudo-terminal so `isatty`
//! stays true and progress bars and colours keep working); a reader thread
//! per stream copies every byte to the original fd first (the terminal sees
//! the output unchanged) and then feeds the [`ConsoleLog`].
//!
//! Because the redirection is at the fd level it captures Rust's `print!`,
//! C libraries and child processes alike, from any thread.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use super::output::{ConsoleLog, Stream};

fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// `dup` with close-on-exec, so our copies do not leak into child processes.
fn dup_cloexec(fd: RawFd) -> io::Result<OwnedFd> {
    // SAFETY: F_DUPFD_CLOEXEC returns a new fd we then own.
    let n = cvt(unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) })?;
    Ok(unsafe { OwnedFd::from_raw_fd(n) })
}

fn set_cloexec(fd: RawFd) -> io::Result<()> {
    // SAFETY: plain fcntl calls on an fd we own.
    unsafe {
        let flags = cvt(libc::fcntl(fd, libc::F_GETFD))?;
        cvt(libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC))?;
    }
    Ok(())
}

/// A pipe: (read end, write end), both close-on-exec.
fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: pipe writes two fds into the array.
    cvt(unsafe { libc::pipe(fds.as_mut_ptr()) })?;
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    set_cloexec(r.as_raw_fd())?;
    set_cloexec(w.as_raw_fd())?;
    Ok((r, w))
}

fn window_size(fd: RawFd) -> Option<libc::winsize> {
    // SAFETY: TIOCGWINSZ fills the struct.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut ws) };
    (r == 0).then_some(ws)
}

/// A pseudo-terminal in raw mode (no echo, no `\n` → `\r\n`), sized like
/// `like`: (master, slave).
fn pty(like: RawFd) -> io::Result<(OwnedFd, OwnedFd)> {
    let mut master: libc::c_int = -1;
    let mut slave: libc::c_int = -1;
    let mut ws = window_size(like);
    let ws_ptr = ws
        .as_mut()
        .map_or(std::ptr::null_mut(), |w| w as *mut libc::winsize);
    // SAFETY: openpty writes two fds; a null termios means defaults.
    cvt(unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            ws_ptr as _,
        )
    })?;
    let (m, s) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    set_cloexec(m.as_raw_fd())?;
    set_cloexec(s.as_raw_fd())?;
    // SAFETY: termios get/modify/set on the slave we own.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        cvt(libc::tcgetattr(s.as_raw_fd(), &mut t))?;
        libc::cfmakeraw(&mut t);
        cvt(libc::tcsetattr(s.as_raw_fd(), libc::TCSANOW, &t))?;
    }
    Ok((m, s))
}

fn bytes_pending(fd: RawFd) -> usize {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes an int.
    let r = unsafe { libc::ioctl(fd, libc::FIONREAD as _, &mut n) };
    if r == 0 {
        n.max(0) as usize
    } else {
        0
    }
}

fn write_all(fd: RawFd, mut buf: &[u8]) {
    while !buf.is_empty() {
        // SAFETY: writes from a valid slice.
        let n = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
        if n < 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return; // the terminal went away; keep recording anyway
        }
        buf = &buf[n as usize..];
    }
}

struct Redirected {
    fd: RawFd,
    orig: Arc<OwnedFd>,
    read: Arc<OwnedFd>,
    busy: Arc<AtomicBool>,
    done: crossbeam_channel::Receiver<()>,
    thread: ThreadId,
}

/// Active redirection of fds 1 and 2.
pub(crate) struct Redirect {
    streams: Vec<Redirected>,
    log: Arc<ConsoleLog>,
}

impl Redirect {
    /// Redirects stdout and stderr into `log`. Streams whose fd is closed
    /// are skipped; an error undoes what was done.
    pub(crate) fn start(log: Arc<ConsoleLog>) -> io::Result<Redirect> {
        use std::io::Write;
        let _ = std::io::stdout().flush();
        let mut me = Redirect {
            streams: Vec::new(),
            log,
        };
        for (fd, stream) in [(1, Stream::Stdout), (2, Stream::Stderr)] {
            match me.redirect(fd, stream) {
                Ok(Some(r)) => me.streams.push(r),
                Ok(None) => {}
                Err(e) => {
                    me.restore(Duration::from_millis(200));
                    return Err(e);
                }
            }
        }
        Ok(me)
    }

    fn redirect(&self, fd: RawFd, stream: Stream) -> io::Result<Option<Redirected>> {
        let orig = match dup_cloexec(fd) {
            Ok(o) => Arc::new(o),
            Err(_) => return Ok(None), // fd closed: nothing to capture
        };
        // SAFETY: isatty only inspects the fd.
        let tty = unsafe { libc::isatty(orig.as_raw_fd()) } == 1;
        let (read, write) = if tty { pty(orig.as_raw_fd())? } else { pipe()? };
        let read = Arc::new(read);
        let busy = Arc::new(AtomicBool::new(false));
        let (done_tx, done) = crossbeam_channel::bounded::<()>(1);
        let thread = {
            let (orig, read, busy, log) = (
                Arc::clone(&orig),
                Arc::clone(&read),
                Arc::clone(&busy),
                Arc::clone(&self.log),
            );
            std::thread::Builder::new()
                .name(format!(
                    "wandb-console-{}",
                    if fd == 1 { "stdout" } else { "stderr" }
                ))
                .spawn(move || {
                    crate::background::lower_priority();
                    reader(&read, &orig, tty, &busy, &log, stream);
                    let _ = done_tx.send(());
                })?
        };
        let thread_id = thread.thread().id();
        // SAFETY: dup2 atomically points `fd` at our pipe/pty; the original
        // stays reachable through `orig`.
        if let Err(e) = cvt(unsafe { libc::dup2(write.as_raw_fd(), fd) }) {
            drop(write); // the reader sees EOF and ends
            return Err(e);
        }
        drop(write);
        Ok(Some(Redirected {
            fd,
            orig,
            read,
            busy,
            done,
            thread: thread_id,
        }))
    }

    /// Waits until every byte written so far (by any thread) has been teed
    /// and recorded, at most `timeout`. Flushes Rust's stdout buffer first.
    pub(crate) fn flush(&self, timeout: Duration) {
        use std::io::Write;
        let _ = std::io::stdout().flush();
        let _ = std::io::stderr().flush();
        let me = std::thread::current().id();
        let deadline = crate::duration::deadline_after(timeout);
        for s in &self.streams {
            if s.thread == me {
                continue; // a panic on the reader thread itself
            }
            // The reader marks itself busy before it reads, so "nothing in
            // the pipe and not busy" means everything was processed.
            while bytes_pending(s.read.as_raw_fd()) > 0 || s.busy.load(Ordering::SeqCst) {
                if Instant::now() >= deadline {
                    return;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }

    /// Points fds 1 and 2 back at the originals and waits (at most
    /// `timeout`) for the readers to drain what is left. A reader kept alive
    /// by a child process that inherited the pipe is left running detached:
    /// it keeps forwarding that child's output to the terminal.
    pub(crate) fn restore(&mut self, timeout: Duration) {
        use std::io::Write;
        let _ = std::io::stdout().flush();
        for s in &self.streams {
            // SAFETY: dup2 back onto the standard fd.
            let _ = unsafe { libc::dup2(s.orig.as_raw_fd(), s.fd) };
        }
        let deadline = crate::duration::deadline_after(timeout);
        let me = std::thread::current().id();
        for s in self.streams.drain(..) {
            if s.thread == me {
                continue; // the run finished from this reader thread itself
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let _ = s.done.recv_timeout(left);
        }
    }
}

/// After a small read the reader waits this long before the next one, so a
/// program printing one short line at a time (a progress line per batch)
/// wakes it a few hundred times a second at most instead of once per line.
/// Output reaches the terminal at most this much later.
const COALESCE: Duration = Duration::from_millis(4);

/// A read at least this large means output is streaming: read again at once
/// (a full pipe would block the printing program).
const STREAMING: usize = 16 * 1024;

fn reader(
    read: &OwnedFd,
    orig: &OwnedFd,
    tty: bool,
    busy: &AtomicBool,
    log: &ConsoleLog,
    stream: Stream,
) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut last_ws: Option<(u16, u16)> = None;
    loop {
        let mut pfd = libc::pollfd {
            fd: read.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: poll on one valid pollfd.
        let r = unsafe { libc::poll(&mut pfd, 1, -1) };
        if r < 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        busy.store(true, Ordering::SeqCst);
        // SAFETY: reads into our buffer.
        let n = unsafe { libc::read(read.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            busy.store(false, Ordering::SeqCst);
            if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            // 0 = EOF (pipe); EIO = every slave of the pty closed.
            return;
        }
        let chunk = &buf[..n as usize];
        write_all(orig.as_raw_fd(), chunk);
        log.feed(stream, chunk);
        if tty {
            // Follow terminal resizes so width-aware output (progress bars)
            // keeps fitting.
            if let Some(ws) = window_size(orig.as_raw_fd()) {
                if last_ws != Some((ws.ws_row, ws.ws_col)) {
                    last_ws = Some((ws.ws_row, ws.ws_col));
                    // SAFETY: TIOCSWINSZ on the pty master reads the struct.
                    unsafe { libc::ioctl(read.as_raw_fd(), libc::TIOCSWINSZ, &ws) };
                }
            }
        }
        busy.store(false, Ordering::SeqCst);
        if (n as usize) < STREAMING {
            std::thread::sleep(COALESCE);
        }
    }
}
