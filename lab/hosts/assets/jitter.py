#!/usr/bin/env python3
"""
netem's `delay 20ms 10ms` in userspace, for kernels built without sch_netem: relays Ethernet
frames between a node's bridge port and one end of a veth pair whose other end is on the bridge.
Frames towards the node wait a uniform 10-30 ms (so, as with netem on every bridge port, each
frame is delayed once per port it leaves the bridge by); frames from the node pass at once.

Both sockets use PACKET_VNET_HDR: a veth hands over TCP segments up to 64 KiB with their checksum
still to be filled in, and the header lets the kernel finish them on the way out instead of
sending a bad checksum or refusing a frame above the MTU.

Runs until killed, or until --seconds have passed. Prints "ready pid <pid>" once both sockets
are bound, and what it relayed when it ends.
"""
import argparse
import heapq
import os
import random
import select
import signal
import socket
import sys
import time

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_VNET_HDR = 15  # <linux/if_packet.h>; Python's socket module does not name it
# A GSO frame (64 KiB) plus its 10-byte virtio_net_hdr: far above the MTU.
RECV_BYTES = 1 << 17
# Frames read from one socket per wakeup, so a busy side cannot starve the timer.
BURST = 64


def open_port(ifname):
    # Protocol 0 until bound: an ETH_P_ALL socket would see every interface's frames meanwhile.
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    s.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
    s.bind((ifname, ETH_P_ALL))
    s.setblocking(False)
    return s


def send(sock, frame, counts, key):
    try:
        sock.send(frame)
        counts[key] += 1
    except OSError:
        # A full queue or a frame the kernel refuses: dropped, as a full qdisc would.
        counts["dropped"] += 1


def relay(node, bridge, min_ms, max_ms, seconds, counts):
    due = []  # (when, seq, frame) towards the node
    seq = 0
    deadline = time.monotonic() + seconds
    while True:
        now = time.monotonic()
        if now >= deadline:
            return
        while due and due[0][0] <= now:
            send(node, heapq.heappop(due)[2], counts, "to_node")
        wake = min(deadline, due[0][0]) if due else deadline
        readable, _, _ = select.select([node, bridge], [], [], max(0.0, wake - now))
        for sock in readable:
            for _ in range(BURST):
                try:
                    frame, addr = sock.recvfrom(RECV_BYTES)
                except BlockingIOError:
                    break
                if addr[2] == socket.PACKET_OUTGOING:
                    continue  # what this relay (or the kernel) sent out of that port
                if sock is node:
                    send(bridge, frame, counts, "from_node")
                else:
                    seq += 1
                    delay = random.uniform(min_ms, max_ms) / 1000
                    heapq.heappush(due, (time.monotonic() + delay, seq, frame))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--node", required=True, help="the node's port (taken off the bridge)")
    p.add_argument("--bridge", required=True, help="the veth end whose peer is on the bridge")
    p.add_argument("--min-ms", type=float, default=10.0)
    p.add_argument("--max-ms", type=float, default=30.0)
    p.add_argument("--seconds", type=float, required=True, help="ends by itself after this long")
    args = p.parse_args()
    if not 0 <= args.min_ms <= args.max_ms or args.seconds <= 0:
        p.error("need 0 <= --min-ms <= --max-ms and --seconds > 0")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    counts = {"from_node": 0, "to_node": 0, "dropped": 0}
    node, bridge = open_port(args.node), open_port(args.bridge)
    print(f"ready pid {os.getpid()}", flush=True)
    try:
        relay(node, bridge, args.min_ms, args.max_ms, args.seconds, counts)
    finally:
        print(
            f"jitter {args.node}<->{args.bridge}: {counts['from_node']} frames from the node, "
            f"{counts['to_node']} to it (delayed {args.min_ms:g}-{args.max_ms:g} ms), {counts['dropped']} dropped",
            flush=True,
        )


if __name__ == "__main__":
    main()
