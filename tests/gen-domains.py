#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Write a libvirt test-driver node XML with N Nova-like domains.

Used by the compute tests and the benchmark: test:///abs/path/domains.xml.
Domain i is instance-%08x (i), uuid derived from i, project p%031d (i % projects).
Every --shutoff-every'th domain is SHUTOFF, every --transient-every'th
other one transient, every --plain-every'th carries no
Nova metadata (not an instance), every --nova10-every'th uses the 1.0 namespace.
"""

import argparse
import sys
import uuid

NOVA = {"1.1": "http://openstack.org/xmlns/libvirt/nova/1.1",
        "1.0": "http://openstack.org/xmlns/libvirt/nova/1.0"}
TEST_NS = "http://libvirt.org/schemas/domain/test/1.0"
FLAVORS = [("m1.tiny", 512, 1, 0, 0, 1), ("m1.small", 2048, 20, 0, 0, 1),
           ("m1.medium", 4096, 40, 10, 512, 2), ("m1.large", 8192, 80, 20, 1024, 4)]


def nova_metadata(i, version, args):
    name, ram, disk, eph, swap, vcpus = FLAVORS[i % len(FLAVORS)]
    image = ('<nova:root type="image" uuid="%s"/>' % uuid.uuid5(uuid.NAMESPACE_DNS, "image"))
    if args.volume_every and i % args.volume_every == args.volume_every - 1:
        image = '<nova:root type="volume" uuid="%s"/>' % uuid.uuid5(uuid.NAMESPACE_DNS, "vol%d" % i)
    return f"""    <metadata>
      <nova:instance xmlns:nova="{NOVA[version]}">
        <nova:package version="26.0.0"/>
        <nova:name>vm-{i}</nova:name>
        <nova:creationTime>2024-01-01 00:00:00</nova:creationTime>
        <nova:flavor name="{name}">
          <nova:memory>{ram}</nova:memory>
          <nova:disk>{disk}</nova:disk>
          <nova:swap>{swap}</nova:swap>
          <nova:ephemeral>{eph}</nova:ephemeral>
          <nova:vcpus>{vcpus}</nova:vcpus>
        </nova:flavor>
        <nova:owner>
          <nova:user uuid="u{i % args.users:031d}">user{i % args.users}</nova:user>
          <nova:project uuid="p{i % args.projects:031d}">tenant{i % args.projects}</nova:project>
        </nova:owner>
        {image}
      </nova:instance>
    </metadata>
"""


def devices(i, dom_uuid, args):
    out = []
    for d in range(args.disks):
        dev = "vd" + chr(ord("a") + d)
        out.append(f"""      <disk type='file' device='disk'>
        <source file='/var/lib/nova/instances/{dom_uuid}/disk{d}'/>
        <target dev='{dev}' bus='virtio'/>
      </disk>""")
    # a cdrom without media: no source, so no disk meters for it
    out.append("""      <disk type='file' device='cdrom'>
        <target dev='hdc' bus='ide'/>
      </disk>""")
    for n in range(args.nics):
        mac = "52:54:%02x:%02x:%02x:%02x" % ((i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff, n)
        out.append(f"""      <interface type='network'>
        <mac address='{mac}'/>
        <source network='default'/>
        <target dev='tap{i:07x}-{n:02d}'/>
        <model type='virtio'/>
      </interface>""")
    return "\n".join(out)


def domain(i, args):
    dom_uuid = uuid.uuid5(uuid.NAMESPACE_URL, "polld-domain-%d" % i)
    meta = ""
    if not (args.plain_every and i % args.plain_every == args.plain_every - 1):
        version = "1.0" if args.nova10_every and i % args.nova10_every == 1 else "1.1"
        meta = nova_metadata(i, version, args)
    state = ""
    if args.shutoff_every and i % args.shutoff_every == args.shutoff_every - 1:
        state = "    <test:runstate>5</test:runstate>\n"
    # a transient domain cannot be shut off: it would not exist
    elif args.transient_every and i % args.transient_every == args.transient_every - 1:
        state = "    <test:transient/>\n"
    vcpus = FLAVORS[i % len(FLAVORS)][5]
    return f"""  <domain type='test' xmlns:test='{TEST_NS}'>
    <name>instance-{i:08x}</name>
    <uuid>{dom_uuid}</uuid>
{meta}    <memory unit='KiB'>2097152</memory>
    <currentMemory unit='KiB'>2097152</currentMemory>
    <vcpu placement='static'>{vcpus}</vcpu>
    <os>
      <type arch='x86_64'>hvm</type>
      <boot dev='hd'/>
    </os>
    <devices>
{devices(i, dom_uuid, args)}
    </devices>
{state}  </domain>
"""


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--domains", type=int, default=10)
    p.add_argument("--out", default="-")
    p.add_argument("--disks", type=int, default=1, help="disks with a source per domain")
    p.add_argument("--nics", type=int, default=1, help="interfaces per domain")
    p.add_argument("--shutoff-every", type=int, default=5, help="0: none")
    p.add_argument("--transient-every", type=int, default=0,
                   help="0: none (a transient domain gives the same meters; past libvirtd's "
                        "16,384 domains an answer, listings split into persistent and "
                        "transient ones)")
    p.add_argument("--plain-every", type=int, default=7, help="0: all carry Nova metadata")
    p.add_argument("--nova10-every", type=int, default=3, help="0: all use Nova 1.1")
    p.add_argument("--volume-every", type=int, default=4, help="boot from volume: no image")
    p.add_argument("--projects", type=int, default=3)
    p.add_argument("--users", type=int, default=2)
    args = p.parse_args()

    parts = ["<node>\n",
             "  <cpu><mhz>2400</mhz><model>x86_64</model><active>2</active>"
             "<nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads></cpu>\n",
             "  <memory>24000000</memory>\n"]
    parts += [domain(i, args) for i in range(args.domains)]
    parts.append("</node>\n")
    text = "".join(parts)
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
