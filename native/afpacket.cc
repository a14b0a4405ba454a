// tsvs native I/O: AF_PACKET sockets whose TPACKET_V2/V3 RX ring and TX ring are mmapped into one
// external ArrayBuffer for TypeScript to walk. I/O only: no packet logic, never called per packet.

#include <napi.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace {

// ---------------------------------------------------------------------------------- bookkeeping
//
// An "arena" is an anonymous mapping we own, handed to JS as one external ArrayBuffer. Rings are
// mapped over part of it with MAP_FIXED, so one buffer can hold the rings of several sockets and
// the scratch space between them: copies then stay inside one buffer (copyWithin, no allocation).
//
// Lifetimes (pitfall 8): the arena is munmapped only by the ArrayBuffer's finalizer, so a stale
// view can never fault. close() puts fresh anonymous pages over the socket's ring before closing:
// the mapping holds a reference to the socket, and without that the socket would stay bound (and
// in its fanout group, taking its share of traffic) until the garbage collector ran.

struct Ring {
  uint8_t* addr;  // nullptr once the arena holding it is gone
  size_t len;
  const void* owner;  // the env that opened it: its teardown closes what it left open
};

std::mutex g_mu;
std::map<uintptr_t, size_t> g_arenas;  // base -> length
std::map<int, Ring> g_rings;           // socket fd -> its ring mapping
std::set<int> g_eventfds;              // wake-up eventfds made by eventFd(), any thread's

const size_t kPage = static_cast<size_t>(sysconf(_SC_PAGESIZE));
const unsigned kMaxFilterInsns = 4096;  // BPF_MAXINSNS
const size_t kSockaddrLl = sizeof(struct sockaddr_ll);

size_t RoundUp(size_t v, size_t to) { return (v + to - 1) / to * to; }

// Replaces [addr, addr+len) with zeroed private pages: drops the socket's mapping, keeps the range.
void Detach(uint8_t* addr, size_t len) {
  mmap(addr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
}

// Per-env data; its destructor runs at env teardown (a worker exiting, the process ending).
struct EnvData {
  ~EnvData() {
    std::lock_guard<std::mutex> lock(g_mu);
    for (auto it = g_rings.begin(); it != g_rings.end();) {
      if (it->second.owner != this) { ++it; continue; }
      if (it->second.addr) Detach(it->second.addr, it->second.len);
      ::close(it->first);
      it = g_rings.erase(it);
    }
  }
};

void FinalizeArena(napi_env, void* data, void*) {
  std::lock_guard<std::mutex> lock(g_mu);
  uintptr_t base = reinterpret_cast<uintptr_t>(data);
  auto a = g_arenas.find(base);
  if (a == g_arenas.end()) return;
  for (auto& r : g_rings) {
    uintptr_t p = reinterpret_cast<uintptr_t>(r.second.addr);
    if (p >= base && p < base + a->second) r.second.addr = nullptr;
  }
  munmap(data, a->second);
  g_arenas.erase(a);
}

// ---------------------------------------------------------------------------------- errors

// A JS Error shaped like Node's system errors (code, errno, syscall), with a hint an operator can
// act on, e.g. "open dpdk0: Operation not permitted (need root / CAP_NET_RAW)".
Napi::Error SysError(Napi::Env env, int err, const std::string& what, const char* syscall,
                     const std::string& hint = "") {
  std::string msg = what + ": " + strerror(err);
  if (!hint.empty()) msg += " (" + hint + ")";
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, uv_err_name(-err)));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, syscall));
  return e;
}

Napi::Error ArgError(Napi::Env env, const std::string& msg) {
  Napi::Error e = Napi::TypeError::New(env, msg);
  e.Set("code", Napi::String::New(env, "ERR_INVALID_ARG_VALUE"));
  return e;
}

const char* PermHint(int err) {
  return err == EPERM || err == EACCES ? "need root / CAP_NET_RAW" : "";
}

// ---------------------------------------------------------------------------------- arguments

int ArgFd(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsNumber()) throw ArgError(info.Env(), "fd must be a number");
  return info[i].As<Napi::Number>().Int32Value();
}

std::string ArgIfname(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsString()) throw ArgError(info.Env(), "ifname must be a string");
  std::string s = info[i].As<Napi::String>().Utf8Value();
  if (s.empty() || s.size() >= IFNAMSIZ) {
    throw ArgError(info.Env(), "interface name '" + s + "' must be 1.." + std::to_string(IFNAMSIZ - 1) + " characters");
  }
  return s;
}

// An unsigned option, `def` when absent; anything else is a TypeError naming the option.
uint32_t OptU32(Napi::Object o, const char* key, uint32_t def) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return def;
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!(d >= 0 && d <= 0xffffffffu) || d != static_cast<uint32_t>(d)) {
    throw ArgError(o.Env(), std::string("option ") + key + " must be an unsigned integer");
  }
  return static_cast<uint32_t>(d);
}

bool OptBool(Napi::Object o, const char* key, bool def) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return def;
  if (!v.IsBoolean()) throw ArgError(o.Env(), std::string("option ") + key + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

// A classic BPF program given as the bytes of a sock_filter[] (8 bytes per instruction).
std::vector<sock_filter> ArgProgram(Napi::Value v, const std::string& what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw ArgError(v.Env(), what + ": a classic BPF program must be a Uint8Array of sock_filter[]");
  }
  Napi::Uint8Array a = v.As<Napi::Uint8Array>();
  size_t n = a.ByteLength() / sizeof(sock_filter);
  if (a.ByteLength() % sizeof(sock_filter) != 0 || n == 0 || n > kMaxFilterInsns) {
    throw ArgError(v.Env(), what + ": a classic BPF program must be 1.." + std::to_string(kMaxFilterInsns) +
                                   " instructions of 8 bytes, got " + std::to_string(a.ByteLength()) + " bytes");
  }
  std::vector<sock_filter> prog(n);  // copied: the typed array's bytes need not be aligned
  memcpy(prog.data(), a.Data(), a.ByteLength());
  return prog;
}

std::vector<sock_filter> ArgProgram(const Napi::CallbackInfo& info, size_t i) {
  return ArgProgram(info[i], "program");
}

// ---------------------------------------------------------------------------------- geometry

struct Geometry {
  uint32_t version, hdrLen;
  uint32_t blockSize, blockNr, frameSize, frameNr, retireMs;
  uint32_t txBlockSize, txBlockNr, txFrameSize, txFrameNr;
  size_t rxBytes, txBytes;
};

// Ring sizes from the options, checked here so that a bad setting gets a message rather than
// the kernel's bare EINVAL. Defaults suit a 1500-byte MTU port.
Geometry MakeGeometry(Napi::Object o) {
  Napi::Env env = o.Env();
  Geometry g{};
  g.version = OptU32(o, "version", 3);
  if (g.version != 2 && g.version != 3) throw ArgError(env, "option version must be 2 or 3 (TPACKET_V2 / TPACKET_V3)");
  g.hdrLen = g.version == 3 ? TPACKET3_HDRLEN : TPACKET2_HDRLEN;
  g.blockSize = OptU32(o, "blockSize", g.version == 3 ? 1u << 18 : 1u << 16);
  g.blockNr = OptU32(o, "blockNr", g.version == 3 ? 16 : 128);
  g.frameSize = OptU32(o, "frameSize", 2048);
  g.retireMs = OptU32(o, "retireMs", 1);
  g.txFrameSize = OptU32(o, "txFrameSize", 2048);
  g.txFrameNr = OptU32(o, "txFrameNr", 1024);
  auto bad = [&](const std::string& m) { return ArgError(env, "ring geometry: " + m); };
  if (g.blockSize == 0 || g.blockSize % kPage != 0) {
    throw bad("blockSize " + std::to_string(g.blockSize) + " must be a multiple of the page size " + std::to_string(kPage));
  }
  if (g.blockNr == 0) throw bad("blockNr must be at least 1");
  for (uint32_t fs : {g.frameSize, g.txFrameSize}) {
    if (fs % TPACKET_ALIGNMENT != 0 || fs < TPACKET_ALIGN(g.hdrLen) + 64) {
      throw bad("frame size " + std::to_string(fs) + " must be a multiple of 16 and at least " +
                std::to_string(TPACKET_ALIGN(g.hdrLen) + 64));
    }
  }
  if (g.frameSize > g.blockSize) throw bad("frameSize must not exceed blockSize");
  g.frameNr = g.blockSize / g.frameSize * g.blockNr;
  // TX: the smallest page-multiple block that holds a frame; the slot count rounds up to whole blocks.
  g.txBlockSize = static_cast<uint32_t>(RoundUp(g.txFrameSize, kPage));
  uint32_t perBlock = g.txBlockSize / g.txFrameSize;
  g.txBlockNr = (g.txFrameNr + perBlock - 1) / perBlock;
  g.txFrameNr = g.txBlockNr * perBlock;
  g.rxBytes = static_cast<size_t>(g.blockSize) * g.blockNr;
  g.txBytes = static_cast<size_t>(g.txBlockSize) * g.txBlockNr;
  if (g.rxBytes + g.txBytes > (size_t{1} << 34)) throw bad("rings larger than 16 GiB");
  return g;
}

Napi::Object GeometryObject(Napi::Env env, const Geometry& g, size_t rxOffset) {
  Napi::Object rx = Napi::Object::New(env);
  rx.Set("offset", static_cast<double>(rxOffset));
  rx.Set("bytes", static_cast<double>(g.rxBytes));
  rx.Set("blockSize", g.blockSize);
  rx.Set("blockNr", g.blockNr);
  rx.Set("frameSize", g.frameSize);
  rx.Set("frameNr", g.frameNr);
  rx.Set("retireMs", g.retireMs);
  Napi::Object tx = Napi::Object::New(env);
  tx.Set("offset", static_cast<double>(rxOffset + g.rxBytes));
  tx.Set("bytes", static_cast<double>(g.txBytes));
  tx.Set("blockSize", g.txBlockSize);
  tx.Set("blockNr", g.txBlockNr);
  tx.Set("frameSize", g.txFrameSize);
  tx.Set("frameNr", g.txFrameNr);
  // TX frame data starts where the kernel reads it without PACKET_TX_HAS_OFF (pitfall 2).
  tx.Set("dataOffset", static_cast<uint32_t>(g.hdrLen - kSockaddrLl));
  Napi::Object r = Napi::Object::New(env);
  r.Set("version", g.version);
  r.Set("hdrLen", g.hdrLen);
  r.Set("rx", rx);
  r.Set("tx", tx);
  return r;
}

// ---------------------------------------------------------------------------------- socket setup

// Closes the fd unless released: every early throw in Open leaves nothing behind.
struct FdGuard {
  int fd;
  ~FdGuard() { if (fd >= 0) ::close(fd); }
};

void SetInt(Napi::Env env, int fd, int level, int opt, int val, const std::string& what, const std::string& hint = "") {
  if (setsockopt(fd, level, opt, &val, sizeof val) < 0) throw SysError(env, errno, what, "setsockopt", hint);
}

void SetRing(Napi::Env env, int fd, int opt, const Geometry& g, bool tx, const std::string& what) {
  tpacket_req3 r{};
  r.tp_block_size = tx ? g.txBlockSize : g.blockSize;
  r.tp_block_nr = tx ? g.txBlockNr : g.blockNr;
  r.tp_frame_size = tx ? g.txFrameSize : g.frameSize;
  r.tp_frame_nr = tx ? g.txFrameNr : g.frameNr;
  // Only the tpacket_req fields apply to a V3 TX ring: the retire timer must stay 0 (pitfall 2).
  if (!tx) r.tp_retire_blk_tov = g.retireMs;
  // V2 takes the short tpacket_req; the kernel checks the length (pitfall 3).
  socklen_t len = g.version == 3 ? sizeof(tpacket_req3) : sizeof(tpacket_req);
  if (setsockopt(fd, SOL_PACKET, opt, &r, len) < 0) {
    int err = errno;
    throw SysError(env, err, what, "setsockopt",
                   err == ENOMEM ? "ring too large for this host: lower blockSize x blockNr or txFrameNr" : "");
  }
}

// Where the rings go: at `offset` of a caller's arena, or at 0 of a new private arena that also
// holds `scratch` bytes after the TX ring.
struct Placement {
  uint8_t* base;
  size_t len, offset;
  bool fresh;
  Napi::Value buffer;
};

Placement Place(Napi::Env env, Napi::Object o, size_t ringBytes) {
  Placement p{};
  Napi::Value a = o.Get("arena");
  if (a.IsUndefined()) {
    p.len = ringBytes + RoundUp(OptU32(o, "scratchSize", 0), kPage);
    void* m = mmap(nullptr, p.len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) throw SysError(env, errno, "mmap arena", "mmap");
    p.base = static_cast<uint8_t*>(m);
    p.fresh = true;
    return p;
  }
  if (!a.IsArrayBuffer()) throw ArgError(env, "option arena must be an ArrayBuffer from arena()");
  Napi::ArrayBuffer ab = a.As<Napi::ArrayBuffer>();
  p.base = static_cast<uint8_t*>(ab.Data());
  p.len = ab.ByteLength();
  p.offset = OptU32(o, "arenaOffset", 0);
  p.buffer = ab;
  std::lock_guard<std::mutex> lock(g_mu);
  auto it = g_arenas.find(reinterpret_cast<uintptr_t>(p.base));
  // Never MAP_FIXED over memory we did not map: that would corrupt the JS heap.
  if (it == g_arenas.end() || it->second != p.len) throw ArgError(env, "option arena must be an ArrayBuffer from arena()");
  if (p.offset % kPage != 0 || p.offset + ringBytes > p.len) {
    throw ArgError(env, "arenaOffset " + std::to_string(p.offset) + " must be page-aligned with " +
                            std::to_string(ringBytes) + " ring bytes inside the arena's " + std::to_string(p.len));
  }
  uint8_t* lo = p.base + p.offset;
  for (auto& r : g_rings) {
    if (r.second.addr && r.second.addr < lo + ringBytes && lo < r.second.addr + r.second.len) {
      throw ArgError(env, "arena range at " + std::to_string(p.offset) + " holds another open socket's ring");
    }
  }
  return p;
}

Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = ArgIfname(info, 0);
  if (!info[1].IsUndefined() && !info[1].IsObject()) throw ArgError(env, "options must be an object");
  Napi::Object o = info[1].IsUndefined() ? Napi::Object::New(env) : info[1].As<Napi::Object>();
  Geometry g = MakeGeometry(o);
  bool vnetHdr = OptBool(o, "vnetHdr", false);
  bool qdiscBypass = OptBool(o, "qdiscBypass", true);
  bool ignoreOutgoing = OptBool(o, "ignoreOutgoing", true);
  std::string what = "open " + name;

  unsigned ifindex = if_nametoindex(name.c_str());
  if (ifindex == 0) {
    throw SysError(env, errno, what, "if_nametoindex", "no interface named " + name + " in this network namespace; see `ip link`");
  }
  // Protocol 0: receive nothing until bind(), after the rings exist (pitfall 4).
  FdGuard fd{socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0)};
  if (fd.fd < 0) throw SysError(env, errno, what, "socket", PermHint(errno));
  SetInt(env, fd.fd, SOL_PACKET, PACKET_VERSION, g.version == 3 ? TPACKET_V3 : TPACKET_V2, what + ": PACKET_VERSION");
  // These must precede the rings (the kernel answers EBUSY after).
  if (vnetHdr) SetInt(env, fd.fd, SOL_PACKET, PACKET_VNET_HDR, 1, what + ": PACKET_VNET_HDR");
  // A malformed TX frame is skipped rather than wedging the ring at TP_STATUS_WRONG_FORMAT.
  SetInt(env, fd.fd, SOL_PACKET, PACKET_LOSS, 1, what + ": PACKET_LOSS");
  SetRing(env, fd.fd, PACKET_RX_RING, g, false, what + ": PACKET_RX_RING");
  SetRing(env, fd.fd, PACKET_TX_RING, g, true, what + ": PACKET_TX_RING");

  size_t ringBytes = g.rxBytes + g.txBytes;
  Placement p = Place(env, o, ringBytes);
  uint8_t* at = p.base + p.offset;
  // The kernel maps the RX ring first, then the TX ring, in one call.
  void* m = mmap(at, ringBytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd.fd, 0);
  if (m == MAP_FAILED) {
    int err = errno;
    if (p.fresh) munmap(p.base, p.len); else Detach(at, ringBytes);
    throw SysError(env, err, what + ": mmap rings", "mmap");
  }
  auto undo = [&]() { if (p.fresh) munmap(p.base, p.len); else Detach(at, ringBytes); };
  try {
    if (qdiscBypass) SetInt(env, fd.fd, SOL_PACKET, PACKET_QDISC_BYPASS, 1, what + ": PACKET_QDISC_BYPASS");
    // With ETH_P_ALL the socket would otherwise see its own transmissions (pitfall 5).
    if (ignoreOutgoing) SetInt(env, fd.fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1, what + ": PACKET_IGNORE_OUTGOING", "needs Linux 4.20+");
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = static_cast<int>(ifindex);
    // A socket filter before bind(): the socket never sees a frame the filter would refuse.
    Napi::Value f = o.Get("filter");
    if (!f.IsUndefined()) {
      std::vector<sock_filter> prog = ArgProgram(f, "option filter");
      sock_fprog fp{static_cast<unsigned short>(prog.size()), prog.data()};
      if (setsockopt(fd.fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof fp) < 0) {
        int err = errno;
        throw SysError(env, err, what + ": option filter", "setsockopt", err == EINVAL ? "invalid classic BPF program" : "");
      }
    }
    if (bind(fd.fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) throw SysError(env, errno, what + ": bind", "bind");
  } catch (...) {
    undo();
    throw;
  }

  Napi::Value buffer = p.buffer;
  if (p.fresh) {
    napi_value ab;
    napi_status st = napi_create_external_arraybuffer(env, p.base, p.len, FinalizeArena, nullptr, &ab);
    if (st != napi_ok) {
      undo();
      throw Napi::Error::New(env, "open " + name + ": this runtime refuses external ArrayBuffers (V8 sandbox); tsvs needs Node.js");
    }
    std::lock_guard<std::mutex> lock(g_mu);
    g_arenas[reinterpret_cast<uintptr_t>(p.base)] = p.len;
    buffer = Napi::Value(env, ab);
  }
  {
    std::lock_guard<std::mutex> lock(g_mu);
    g_rings[fd.fd] = Ring{at, ringBytes, env.GetInstanceData<EnvData>()};
  }
  Napi::Object r = GeometryObject(env, g, p.offset);
  r.Set("fd", fd.fd);
  r.Set("ifindex", ifindex);
  r.Set("ifname", name);
  r.Set("vnetHdr", vnetHdr);
  r.Set("buffer", buffer);
  r.Set("scratchOffset", static_cast<double>(p.fresh ? ringBytes : 0));
  r.Set("scratchBytes", static_cast<double>(p.fresh ? p.len - ringBytes : 0));
  fd.fd = -1;  // released: the socket belongs to JS now
  return r;
}

// ---------------------------------------------------------------------------------- per burst

// poll(fd, timeoutMs) -> revents, or poll(fds: Int32Array, timeoutMs, revents: Int32Array) -> ready count.
Napi::Value Poll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int timeout = info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 0;
  if (info[0].IsNumber()) {
    pollfd p{ArgFd(info, 0), POLLIN, 0};
    int r = ::poll(&p, 1, timeout);
    if (r < 0 && errno != EINTR) throw SysError(env, errno, "poll", "poll");
    return Napi::Number::New(env, r > 0 ? p.revents : 0);
  }
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      !info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw ArgError(env, "poll takes (fd, timeoutMs) or (fds: Int32Array, timeoutMs, revents: Int32Array)");
  }
  Napi::Int32Array fds = info[0].As<Napi::Int32Array>(), out = info[2].As<Napi::Int32Array>();
  size_t n = fds.ElementLength();
  if (n > 64 || out.ElementLength() < n) throw ArgError(env, "poll: at most 64 fds, and revents as long as fds");
  pollfd p[64];
  for (size_t i = 0; i < n; i++) p[i] = pollfd{fds[i], POLLIN, 0};
  int r = ::poll(p, n, timeout);
  if (r < 0 && errno != EINTR) throw SysError(env, errno, "poll", "poll");
  for (size_t i = 0; i < n; i++) out[i] = r > 0 ? p[i].revents : 0;
  return Napi::Number::New(env, r > 0 ? r : 0);
}

// Flushes every TX frame marked SEND_REQUEST. Returns bytes sent or -errno: the data plane
// counts errors, it must not throw for a full queue or a link gone down.
Napi::Value Kick(const Napi::CallbackInfo& info) {
  ssize_t r = send(ArgFd(info, 0), nullptr, 0, MSG_DONTWAIT);
  return Napi::Number::New(info.Env(), r < 0 ? -errno : static_cast<double>(r));
}

// PACKET_STATISTICS; the kernel resets them on read and counts drops into `packets`.
Napi::Value Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  tpacket_stats_v3 st{};
  socklen_t len = sizeof st;  // a V2 socket fills the first two fields
  if (getsockopt(ArgFd(info, 0), SOL_PACKET, PACKET_STATISTICS, &st, &len) < 0) {
    throw SysError(env, errno, "stats", "getsockopt");
  }
  Napi::Object r = Napi::Object::New(env);
  r.Set("packets", st.tp_packets);
  r.Set("drops", st.tp_drops);
  r.Set("freezeQueue", len >= sizeof st ? st.tp_freeze_q_cnt : 0);
  return r;
}

// ---------------------------------------------------------------------------------- filters

// The program belongs to the group: any member may (re)install it, atomically for all.
void SetFanoutProgram(Napi::Env env, int fd, std::vector<sock_filter> prog, const std::string& what) {
  sock_fprog fp{static_cast<unsigned short>(prog.size()), prog.data()};
  if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT_DATA, &fp, sizeof fp) < 0) {
    int err = errno;
    throw SysError(env, err, what + ": PACKET_FANOUT_DATA", "setsockopt",
                   err == EINVAL ? "the socket must be in a PACKET_FANOUT_CBPF group and the program valid classic BPF" : "");
  }
}

Napi::Value Fanout(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0);
  if (!info[1].IsNumber() || !info[2].IsNumber()) throw ArgError(env, "fanout(fd, groupId, mode, flags, cbpf?)");
  uint32_t group = info[1].As<Napi::Number>().Uint32Value();
  uint32_t mode = info[2].As<Napi::Number>().Uint32Value();
  uint32_t flags = info[3].IsNumber() ? info[3].As<Napi::Number>().Uint32Value() : 0;
  if (group > 0xffff) throw ArgError(env, "fanout group id must be 0..65535");
  std::string what = "fanout group " + std::to_string(group);
  int val = static_cast<int>((group & 0xffff) | ((mode | flags) << 16));
  if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &val, sizeof val) < 0) {
    int err = errno;
    throw SysError(env, err, what, "setsockopt",
                   err == EINVAL ? "the group exists with another mode or flags, or the socket is not bound"
                   : err == EALREADY ? "this socket is already in a fanout group"
                   : err == ENOSPC ? "the group is full" : "");
  }
  if (info.Length() > 4 && !info[4].IsUndefined()) SetFanoutProgram(env, fd, ArgProgram(info, 4), what);
  return env.Undefined();
}

// fanoutProgram(fd, cbpf): replaces the program of the group the socket is in.
Napi::Value FanoutProgram(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0);
  SetFanoutProgram(env, fd, ArgProgram(info, 1), "fanout program");
  return env.Undefined();
}

// SO_ATTACH_FILTER: unlike a fanout program, a socket filter sees offsets from the Ethernet header.
Napi::Value AttachFilter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0);
  if (info[1].IsNull() || info[1].IsUndefined()) {
    int zero = 0;
    if (setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &zero, sizeof zero) < 0 && errno != ENOENT) {
      throw SysError(env, errno, "detach filter", "setsockopt");
    }
    return env.Undefined();
  }
  std::vector<sock_filter> prog = ArgProgram(info, 1);
  sock_fprog fp{static_cast<unsigned short>(prog.size()), prog.data()};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof fp) < 0) {
    int err = errno;
    throw SysError(env, err, "attach filter", "setsockopt", err == EINVAL ? "invalid classic BPF program" : "");
  }
  return env.Undefined();
}

// ---------------------------------------------------------------------------------- setup helpers

Napi::Value IfaceInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = ArgIfname(info, 0);
  std::string what = "interface " + name;
  // Any socket serves for SIOCGIF*: a datagram one needs no privilege.
  FdGuard s{socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
  if (s.fd < 0) throw SysError(env, errno, what, "socket");
  ifreq ifr{};
  memcpy(ifr.ifr_name, name.c_str(), name.size());
  auto get = [&](unsigned long req) {
    if (ioctl(s.fd, req, &ifr) < 0) {
      int err = errno;
      throw SysError(env, err, what, "ioctl",
                     err == ENODEV ? "no interface named " + name + " in this network namespace; see `ip link`" : "");
    }
  };
  Napi::Object r = Napi::Object::New(env);
  get(SIOCGIFINDEX);
  r.Set("ifindex", ifr.ifr_ifindex);
  get(SIOCGIFMTU);
  r.Set("mtu", ifr.ifr_mtu);
  get(SIOCGIFFLAGS);
  r.Set("up", (ifr.ifr_flags & IFF_UP) != 0);
  r.Set("running", (ifr.ifr_flags & IFF_RUNNING) != 0);
  get(SIOCGIFHWADDR);
  r.Set("ethernet", ifr.ifr_hwaddr.sa_family == ARPHRD_ETHER);
  Napi::Uint8Array mac = Napi::Uint8Array::New(env, 6);
  memcpy(mac.Data(), ifr.ifr_hwaddr.sa_data, 6);
  r.Set("mac", mac);
  return r;
}

Napi::Value Arena(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) throw ArgError(env, "arena(bytes)");
  double want = info[0].As<Napi::Number>().DoubleValue();
  if (!(want > 0 && want <= double(size_t{1} << 36))) throw ArgError(env, "arena size must be 1 byte .. 64 GiB");
  size_t len = RoundUp(static_cast<size_t>(want), kPage);
  void* m = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) throw SysError(env, errno, "arena of " + std::to_string(len) + " bytes", "mmap");
  napi_value ab;
  if (napi_create_external_arraybuffer(env, m, len, FinalizeArena, nullptr, &ab) != napi_ok) {
    munmap(m, len);
    throw Napi::Error::New(env, "arena: this runtime refuses external ArrayBuffers (V8 sandbox); tsvs needs Node.js");
  }
  std::lock_guard<std::mutex> lock(g_mu);
  g_arenas[reinterpret_cast<uintptr_t>(m)] = len;
  return Napi::Value(env, ab);
}

// ringSize(options) -> {version, hdrLen, rx, tx} with offsets from 0: for laying out an arena.
Napi::Value RingSize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = info[0].IsObject() ? info[0].As<Napi::Object>() : Napi::Object::New(env);
  return GeometryObject(env, MakeGeometry(o), 0);
}

// ---------------------------------------------------------------------------------- wake-ups
//
// An eventfd lets the main thread wake a worker blocked in poll(): the worker polls it with its
// sockets, the main thread writes it. Made by one thread, used by another (fds are per process).

Napi::Value EventFd(const Napi::CallbackInfo& info) {
  int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) throw SysError(info.Env(), errno, "eventfd", "eventfd");
  std::lock_guard<std::mutex> lock(g_mu);
  g_eventfds.insert(fd);
  return Napi::Number::New(info.Env(), fd);
}

int ArgEventFd(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_eventfds.count(fd) == 0) throw SysError(info.Env(), EBADF, "eventfd " + std::to_string(fd), "eventfd", "not an eventfd from eventFd()");
  return fd;
}

// signal(fd): makes the eventfd readable (a poll on it returns). Never blocks.
Napi::Value Signal(const Napi::CallbackInfo& info) {
  uint64_t one = 1;
  ssize_t r = write(ArgEventFd(info), &one, sizeof one);
  return Napi::Boolean::New(info.Env(), r == sizeof one);
}

// drain(fd): reads the count back to 0 (so poll blocks again); returns it.
Napi::Value Drain(const Napi::CallbackInfo& info) {
  uint64_t n = 0;
  ssize_t r = read(ArgEventFd(info), &n, sizeof n);
  return Napi::Number::New(info.Env(), r == sizeof n ? static_cast<double>(n) : 0);
}

Napi::Value CloseEventFd(const Napi::CallbackInfo& info) {
  int fd = ArgEventFd(info);
  std::lock_guard<std::mutex> lock(g_mu);
  g_eventfds.erase(fd);
  ::close(fd);
  return info.Env().Undefined();
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0);
  std::lock_guard<std::mutex> lock(g_mu);
  auto it = g_rings.find(fd);
  // Only our sockets: closing an fd number we do not own would close someone else's file.
  if (it == g_rings.end()) throw SysError(env, EBADF, "close fd " + std::to_string(fd), "close", "not an open tsvs AF_PACKET socket");
  if (it->second.addr) Detach(it->second.addr, it->second.len);
  g_rings.erase(it);
  ::close(fd);
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new EnvData());
  exports.Set("open", Napi::Function::New(env, Open, "open"));
  exports.Set("poll", Napi::Function::New(env, Poll, "poll"));
  exports.Set("kick", Napi::Function::New(env, Kick, "kick"));
  exports.Set("stats", Napi::Function::New(env, Stats, "stats"));
  exports.Set("fanout", Napi::Function::New(env, Fanout, "fanout"));
  exports.Set("fanoutProgram", Napi::Function::New(env, FanoutProgram, "fanoutProgram"));
  exports.Set("attachFilter", Napi::Function::New(env, AttachFilter, "attachFilter"));
  exports.Set("ifaceInfo", Napi::Function::New(env, IfaceInfo, "ifaceInfo"));
  exports.Set("arena", Napi::Function::New(env, Arena, "arena"));
  exports.Set("ringSize", Napi::Function::New(env, RingSize, "ringSize"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
  exports.Set("eventFd", Napi::Function::New(env, EventFd, "eventFd"));
  exports.Set("signal", Napi::Function::New(env, Signal, "signal"));
  exports.Set("drain", Napi::Function::New(env, Drain, "drain"));
  exports.Set("closeEventFd", Napi::Function::New(env, CloseEventFd, "closeEventFd"));
  exports.Set("pageSize", static_cast<double>(kPage));
  return exports;
}

}  // namespace

NODE_API_MODULE(tsvs_afpacket, Init)
