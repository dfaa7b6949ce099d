/*
 * polld - compute-libvirt plugin tests in process: the parts the test
 * driver can't reach through the daemon (domain XML, bulk statistics,
 * domains that come and go, discoveries in parts, the meters the test driver
 * doesn't feed, how often a domain's XML is read again)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "pd-compute-pool.h"
#include "pd-compute-discovery.h"
#include "pd-compute-domain.h"
#include "pd-compute-instance.h"
#include "pd-compute-pollster.h"
#include "pd-compute-stats.h"
#include "pd-compute-sum.h"
#include "pd-poll-context-private.h"
#include "pd-test-compute.h"
#include "pd-test-instance.h"
#include "pd-test-util.h"

static const gchar nova_xml[] =
  "<domain type='test'><name>instance-0000abcd</name>"
  "<uuid>11111111-2222-3333-4444-555555555555</uuid><metadata>"
  "<nova:instance xmlns:nova='http://openstack.org/xmlns/libvirt/nova/1.0'>"
  "<nova:name>legacy</nova:name><nova:flavor name='f1' id='42'><nova:memory>64</nova:memory>"
  "<nova:disk>3</nova:disk><nova:ephemeral>1</nova:ephemeral></nova:flavor>"
  "<nova:owner><nova:user uuid='u1'>bob</nova:user><nova:project uuid='p1'>proj</nova:project>"
  "</nova:owner><nova:root type='volume' uuid='v1'/></nova:instance></metadata>"
  "<memory>65536</memory><vcpu>1</vcpu><os><type arch='aarch64'>hvm</type></os><devices>"
  "<disk type='file' device='disk'><source file='/x'/><target dev='vda'/></disk>"
  "<disk type='file' device='cdrom'><target dev='hdc'/></disk>"
  "<interface type='bridge'><mac address='52:54:00:aa:bb:cc'/><source bridge='br0'/>"
  "<target dev='tapx'/><filterref filter='nova-instance-x'><parameter name='IP' value='10.0.0.1'/>"
  "</filterref><virtualport><parameters interfaceid='if-1'/></virtualport></interface>"
  "<interface type='network'><mac address='52:54:00:aa:bb:cd'/></interface>"
  "</devices></domain>";

static void
test_parse(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(PdComputeInstance) inst =
	  pd_compute_instance_parse(nova_xml, strlen(nova_xml), &error);
	PdComputeVnic *vnic;

	g_assert_no_error(error);
	g_assert_nonnull(inst);
	g_assert_cmpstr(inst->display_name, ==, "legacy");
	g_assert_cmpstr(inst->profile->flavor_id, ==, "42");
	g_assert_cmpint(inst->profile->memory_mb, ==, 64);
	g_assert_cmpint(inst->profile->vcpus, ==, 0); /* missing: 0, like Ceilometer */
	g_assert_null(inst->profile->image_id);	      /* booted from volume */
	g_assert_cmpstr(inst->profile->architecture, ==, "aarch64");
	g_assert_cmpstr(inst->profile->user_name, ==, "bob");
	g_assert_cmpuint(inst->n_disks, ==, 1); /* the empty cdrom has no source */
	g_assert_cmpstr(inst->disks[0].dev, ==, "vda");
	g_assert_cmpuint(inst->n_vnics, ==, 1); /* the second has no target */
	vnic = &inst->vnics[0];
	g_assert_cmpstr(vnic->name, ==, "tapx");
	g_assert_cmpstr(vnic->mac, ==, "52:54:00:aa:bb:cc");
	g_assert_cmpstr(vnic->fref, ==, "nova-instance-x");
	g_assert_cmpuint(vnic->n_params, ==, 3);
	g_assert_cmpstr(vnic->param_names[0], ==, "ip");
	g_assert_cmpstr(vnic->param_values[0], ==, "10.0.0.1");
	g_assert_cmpstr(vnic->param_values[1], ==, "if-1");
	g_assert_cmpstr(vnic->param_values[2], ==, "br0");
	g_assert_cmpstr(inst->uuid, ==, "11111111-2222-3333-4444-555555555555");
	g_assert_cmpstr(inst->domain_name, ==, "instance-0000abcd");

	/* no Nova element: not an instance, no error */
	g_clear_pointer(&inst, pd_compute_instance_unref);
	inst = pd_compute_instance_parse("<domain><name>x</name></domain>", 31, &error);
	g_assert_no_error(error);
	g_assert_null(inst);
	inst = pd_compute_instance_parse("<domain", 7, &error);
	g_assert_error(error, PD_ERROR, PD_ERROR_FAILED);
	g_assert_null(inst);
}

/* what a parser must get right beyond libvirt's usual output: another
 * namespace prefix or a default namespace, Nova 1.1 preferred to 1.0
 * wherever it stands, entities and character references, CDATA, text split
 * by comments and child elements (an element's text is all of its
 * descendants'), short texts, padded numbers, missing elements */
static void
test_parse_odd(void)
{
	static const gchar odd_xml[] =
	  "<?xml version='1.0'?>\n<domain type='test'><name>i&amp;1</name>"
	  "<uuid>11111111-2222-3333-4444-555555555556</uuid><metadata>"
	  "<x:instance xmlns:x='http://openstack.org/xmlns/libvirt/nova/1.0'>"
	  "<x:name>old</x:name><x:flavor name='f0'/><x:owner><x:user uuid='u0'/>"
	  "<x:project uuid='p0'/></x:owner></x:instance>"
	  "<instance xmlns='http://openstack.org/xmlns/libvirt/nova/1.1'>"
	  "<name><![CDATA[a<b]]> &#233;&lt;<!-- c --><i>x</i>&quot;</name>"
	  "<flavor name='f&apos;1'><memory> 64 </memory><vcpus>2</vcpus></flavor>"
	  "<owner><user uuid='u1'>b&#x6F;b</user><project uuid='p1'></project></owner>"
	  "<root type='image' uuid='img'/></instance></metadata>"
	  "<os><type arch='x86_64'>hvm</type></os><devices>"
	  "<disk type='file'><source file='/x'/><target dev='vd&#97;'/></disk>"
	  "<interface type='bridge'><mac address='52:54:00:aa:bb:cc'/>"
	  "<target dev='tap1'/></interface></devices></domain>";
	g_autoptr(GError) error = NULL;
	g_autoptr(PdComputeInstance) inst =
	  pd_compute_instance_parse(odd_xml, strlen(odd_xml), &error);

	g_assert_no_error(error);
	g_assert_nonnull(inst);
	g_assert_cmpstr(inst->domain_name, ==, "i&1");
	g_assert_cmpstr(inst->display_name, ==, "a<b \xc3\xa9<x\"");
	g_assert_cmpstr(inst->profile->flavor_name, ==, "f'1");
	g_assert_null(inst->profile->flavor_id);
	g_assert_cmpint(inst->profile->memory_mb, ==, 64);
	g_assert_cmpint(inst->profile->vcpus, ==, 2);
	g_assert_cmpint(inst->profile->disk_gb, ==, 0);
	g_assert_cmpstr(inst->profile->user_id, ==, "u1");
	g_assert_cmpstr(inst->profile->user_name, ==, "bob");
	g_assert_cmpstr(inst->profile->project_name, ==, "");
	g_assert_cmpstr(inst->profile->image_id, ==, "img");
	g_assert_cmpstr(inst->profile->os_type, ==, "hvm");
	g_assert_cmpuint(inst->n_disks, ==, 1);
	g_assert_cmpstr(inst->disks[0].dev, ==, "vda");
	g_assert_cmpuint(inst->n_vnics, ==, 1);
	g_assert_null(inst->vnics[0].fref);
	g_assert_cmpuint(inst->vnics[0].n_params, ==, 2);
	g_assert_null(inst->vnics[0].param_values[0]); /* no interfaceid */
	g_assert_null(inst->vnics[0].param_values[1]); /* no bridge */
}

/* libvirt's layout of a domain as the bench fixture has it, with what Nova 2025.2 adds
 * (the flavor's extra specs, the image meta) */
static const gchar libvirt_xml[] =
  "<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>\n"
  "  <name>instance-00000007</name>\n"
  "  <uuid>5d3c0f7e-58a4-4b1c-9a66-0e2b1b0c0007</uuid>\n"
  "  <metadata>\n"
  "    <nova:instance xmlns:nova=\"http://openstack.org/xmlns/libvirt/nova/1.1\">\n"
  "      <nova:package version=\"26.0.0\"/>\n"
  "      <nova:name>vm-7</nova:name>\n"
  "      <nova:creationTime>2024-01-01 00:00:00</nova:creationTime>\n"
  "      <nova:flavor name=\"m1.small\">\n"
  "        <nova:memory>2048</nova:memory>\n"
  "        <nova:disk>20</nova:disk>\n"
  "        <nova:swap>0</nova:swap>\n"
  "        <nova:ephemeral>0</nova:ephemeral>\n"
  "        <nova:vcpus>1</nova:vcpus>\n"
  "        <nova:extraSpecs>\n"
  "          <nova:extraSpec name=\"hw:cpu_policy\">dedicated</nova:extraSpec>\n"
  "          <nova:extraSpec name=\"quota:vif_inbound_average\"></nova:extraSpec>\n"
  "        </nova:extraSpecs>\n"
  "      </nova:flavor>\n"
  "      <nova:image uuid=\"9f2c\">\n"
  "        <nova:containerFormat>bare</nova:containerFormat>\n"
  "        <nova:minRam>0</nova:minRam>\n"
  "        <nova:properties>\n"
  "          <nova:property name=\"os_distro\">ubuntu</nova:property>\n"
  "        </nova:properties>\n"
  "      </nova:image>\n"
  "      <nova:owner>\n"
  "        <nova:user uuid=\"u0000007\">user7</nova:user>\n"
  "        <nova:project uuid=\"p0000007\">tenant7</nova:project>\n"
  "      </nova:owner>\n"
  "      <nova:root type=\"image\" uuid=\"9f2c\"/>\n"
  "    </nova:instance>\n"
  "  </metadata>\n"
  "  <memory unit='KiB'>2097152</memory>\n"
  "  <vcpu placement='static'>1</vcpu>\n"
  "  <os>\n"
  "    <type arch='x86_64'>hvm</type>\n"
  "    <boot dev='hd'/>\n"
  "  </os>\n"
  "  <devices>\n"
  "    <disk type='file' device='disk'>\n"
  "      <source file='/var/lib/nova/instances/x/disk0'/>\n"
  "      <target dev='vda' bus='virtio'/>\n"
  "    </disk>\n"
  "    <disk type='file' device='cdrom'>\n"
  "      <target dev='hdc' bus='ide'/>\n"
  "    </disk>\n"
  "    <interface type='network'>\n"
  "      <mac address='52:54:00:00:00:07'/>\n"
  "      <source network='default' bridge='br-int'/>\n"
  "      <target dev='tap0000007-00'/>\n"
  "      <filterref filter='nova-x'>\n"
  "        <parameter name='IP' value='10.0.0.7'/>\n"
  "        <parameter name='ip' value='10.0.0.8'/>\n"
  "      </filterref>\n"
  "      <model type='virtio'/>\n"
  "    </interface>\n"
  "  </devices>\n"
  "  <test:runstate>5</test:runstate>\n"
  "</domain>\n";

/* the scanner takes libvirt's layout and what else it is sure of, and
 * leaves the rest to libxml2's tree; either way the instance is the tree's */
static void
test_parse_fast(void)
{
	static const struct {
		const gchar *from, *to;
		gboolean fast;
	} cases[] = {
		{ NULL, NULL, TRUE },
		/* what the scanner reads itself */
		{ "vm-7", "a&amp;b&lt;&gt;&quot;&apos;&#233;&#x263A;", TRUE },
		{ "vm-7", "\xc3\xa9t\xc3\xa9", TRUE },
		{ "vm-7", " \t\n", TRUE },
		{ "vm-7</nova:name>", "</nova:name  >", TRUE },
		{ "name=\"m1.small\"", "name = 'm&#39;1' id=\"4\"", TRUE },
		{ "<nova:instance xmlns:nova=", "<nova:instance xmlns='urn:d' xmlns:nova=", TRUE },
		{ "<nova:memory>2048</nova:memory>",
		  "<nova:memory xmlns:nova='urn:x'>9</nova:memory>",
		  TRUE },
		{ "<test:runstate>5</test:runstate>", "<runstate xmlns=''/>", TRUE },
		{ "</domain>\n", "</domain>\n \n", TRUE },
		/* what it leaves to libxml2 */
		{ "<domain", "<?xml version='1.0'?>\n<domain", FALSE },
		{ "<domain", "<!DOCTYPE domain>\n<domain", FALSE },
		{ "vm-7", "vm<!-- c -->-7", FALSE },
		{ "vm-7", "<![CDATA[vm<7]]>", FALSE },
		{ "vm-7", "vm<i>-</i>7", FALSE },
		{ "<nova:name>", "<nova:name>\n  <i/>", FALSE },
		{ "vm-7", "vm&nbsp;7", FALSE },
		{ "vm-7", "vm\r\n7", FALSE },
		{ "vm-7", "vm]]>7", FALSE },
		{ "vm-7", "&#0;", FALSE },
		{ "vm-7", "\xef\xbf\xbe", FALSE },
		{ "vm-7", "\xc3(", FALSE },
		{ "name=\"m1.small\"", "name=\"m1\tsmall\"", FALSE },
		{ "name=\"m1.small\"", "name=\"m1\nsmall\"", FALSE },
		{ "name=\"m1.small\"", "name=\"m1.small\" name='x'", FALSE },
		{ "name=\"m1.small\"", "name=\"m1.small\" nova:id='x'", FALSE },
		{ "name=\"m1.small\"", "name=m1", FALSE },
		{ "<nova:name>", "<nv:name>", FALSE },
		{ "<nova:name>", "<xml:name>", FALSE },
		{ "vm-7</nova:name>", "vm-7</nova:nam>", FALSE },
		{ "</domain>\n", "</domain>\n<domain/>", FALSE },
		{ "</domain>\n", "</domain>\nx", FALSE },
		{ "</domain>\n", "", FALSE },
		{ "<domain", "\xef\xbb\xbf<domain", FALSE },
		{ "uuid=\"u0000007\"", "uuid=\"u0000007\"x='1'", FALSE },
		{ "xmlns:nova=\"http://openstack.org/xmlns/libvirt/nova/1.1\"",
		  "xmlns:nova=\"\"",
		  FALSE },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GString) s = g_string_new(libvirt_xml);
		g_autofree gchar *dump = NULL;
		if (cases[i].from != NULL)
			g_assert_cmpuint(g_string_replace(s, cases[i].from, cases[i].to, 1), ==, 1);
		g_test_message("case %u", i);
		g_assert_cmpint(
		  pd_test_instance_parse_both(s->str, s->len, &dump), ==, cases[i].fast);
		if (i == 0)
			g_assert_cmpstr(
			  dump,
			  ==,
			  "5d3c0f7e-58a4-4b1c-9a66-0e2b1b0c0007|instance-00000007|vm-7\n"
			  "m1.small|(null)|1|2048|20|0|0\n"
			  "u0000007|user7|p0000007|tenant7|9f2c|hvm|x86_64\n"
			  "specs 2|hw:cpu_policy=dedicated|quota:vif_inbound_average=(null)\n"
			  "image 4|base_image_ref=9f2c|container_format=bare|min_ram=0|"
			  "os_distro=ubuntu\n"
			  "disk vda\n"
			  "vnic tap0000007-00|52:54:00:00:00:07|nova-x|ip=10.0.0.8|"
			  "interfaceid=(null)|bridge=br-int\n");
	}
	/* the in-line document goes through the scanner */
	g_assert_true(pd_test_instance_parse_both(nova_xml, strlen(nova_xml), NULL));
}

/* random edits of libvirt's layout (markup, entities, blanks, bytes): the
 * instance (or the error) is the tree's every time, and the scanner reads
 * a good part of them itself */
static void
test_parse_fast_random(void)
{
	static const gchar *const inserts[] = {
		" ",
		"\n",
		"\t",
		"\r",
		"&amp;",
		"&#233;",
		"&#x41;",
		"&foo;",
		"&",
		"<!-- c -->",
		"<x/>",
		"<x>y</x>",
		"<![CDATA[z]]>",
		"<?pi?>",
		"'",
		"\"",
		"<",
		">",
		"/",
		"=",
		"\xc3\xa9",
		"\xff",
		"]]>",
		" a='1'",
		" xmlns='urn:d'",
		" xmlns:nova='urn:n'",
		"</x>",
		"nova:",
		":",
		"\x01",
	};
	/* PD_TEST_PARSE_SEED and PD_TEST_PARSE_N for longer runs by hand */
	const gchar *seed = g_getenv("PD_TEST_PARSE_SEED");
	const gchar *runs = g_getenv("PD_TEST_PARSE_N");
	g_autoptr(GRand) rand =
	  g_rand_new_with_seed(seed != NULL ? (guint32)g_ascii_strtoull(seed, NULL, 10) : 20261206);
	gsize base = strlen(libvirt_xml);
	guint fast = 0, n = runs != NULL ? (guint)g_ascii_strtoull(runs, NULL, 10) : 3000;

	for (guint i = 0; i < n; i++) {
		g_autoptr(GString) s = g_string_new_len(libvirt_xml, (gssize)base);
		guint edits = (guint)g_rand_int_range(rand, 1, 4);
		for (guint e = 0; e < edits; e++) {
			gsize at = (gsize)g_rand_int_range(rand, 0, (gint32)s->len);
			gsize cut = (gsize)g_rand_int_range(rand, 1, 4);
			if (g_rand_boolean(rand))
				g_string_insert(
				  s,
				  (gssize)at,
				  inserts[g_rand_int_range(rand, 0, G_N_ELEMENTS(inserts))]);
			else
				g_string_erase(s, (gssize)at, (gssize)MIN(s->len - at, cut));
		}
		fast += pd_test_instance_parse_both(s->str, s->len, NULL);
	}
	g_test_message("%u of %u read by the scanner", fast, n);
	g_assert_cmpuint(fast, >, n / 10);
}

/* instances of the same flavor, owner, image and os share one profile; a
 * different owner gets its own, and the last instance's release frees it */
static void
test_parse_profile(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *other_xml = NULL;
	g_autofree gchar *other_owner = NULL;
	g_autoptr(PdComputeInstance) a = NULL;
	g_autoptr(PdComputeInstance) b = NULL;
	g_autoptr(PdComputeInstance) c = NULL;
	GString *s;

	a = pd_compute_instance_parse(nova_xml, strlen(nova_xml), &error);
	g_assert_no_error(error);
	s = g_string_new(nova_xml);
	g_string_replace(s, "11111111-2222", "11111111-9999", 1);
	g_string_replace(s, ">legacy<", ">other<", 1);
	g_string_replace(s, "tapx", "tapy", 1);
	other_xml = g_string_free(s, FALSE);
	b = pd_compute_instance_parse(other_xml, strlen(other_xml), &error);
	g_assert_no_error(error);
	g_assert_true(a->profile == b->profile);
	g_assert_cmpstr(b->display_name, ==, "other");
	g_assert_cmpstr(b->vnics[0].name, ==, "tapy");
	g_assert_cmpstr(a->vnics[0].name, ==, "tapx");
	/* the interned parameter strings are shared too */
	g_assert_true(a->vnics[0].param_values[2] == b->vnics[0].param_values[2]);

	s = g_string_new(nova_xml);
	g_string_replace(s, "uuid='u1'>bob", "uuid='u2'>eve", 1);
	other_owner = g_string_free(s, FALSE);
	c = pd_compute_instance_parse(other_owner, strlen(other_owner), &error);
	g_assert_no_error(error);
	g_assert_true(c->profile != a->profile);
	g_assert_cmpstr(c->profile->user_name, ==, "eve");
	g_assert_cmpstr(c->profile->flavor_name, ==, a->profile->flavor_name);

	/* a's release keeps b's profile */
	g_clear_pointer(&a, pd_compute_instance_unref);
	g_assert_cmpstr(b->profile->user_name, ==, "bob");
	g_assert_cmpint(b->profile->memory_mb, ==, 64);
}

static gchar *
domain_json(PdComputeDomain *cd)
{
	return pd_metadata_dup_json(cd->md, NULL);
}

/* the domains' metadata base (their class) is looked up by profile, state,
 * host and flavor id before it is built: each of these alone gives another
 * base, two profiles that render the same base share it, and the texts are
 * those of a base built for the domain alone */
static void
test_domain_classes(void)
{
	g_autoptr(PdComputeInstance) a =
	  pd_compute_instance_parse(nova_xml, strlen(nova_xml), NULL);
	g_autoptr(PdComputeInstance) c = NULL;
	virConnectPtr conn = virConnectOpenReadOnly("test:///default");
	virDomainPtr dom;
	g_autofree gchar *other_owner = NULL;
	g_autofree gchar *first_json = NULL;
	PdComputeDomain *d[7];
	guchar uuid[VIR_UUID_BUFLEN];
	GString *s;

	g_assert_nonnull(conn);
	dom = virDomainLookupByName(conn, "test");
	g_assert_nonnull(dom);
	g_assert_cmpint(virDomainGetUUID(dom, uuid), ==, 0);
	s = g_string_new(nova_xml);
	g_string_replace(s, "uuid='u1'>bob", "uuid='u2'>eve", 1);
	other_owner = g_string_free(s, FALSE);
	c = pd_compute_instance_parse(other_owner, strlen(other_owner), NULL);
	g_assert_true(c->profile != a->profile);

	d[0] = pd_compute_domain_new(
	  a, dom, uuid, VIR_DOMAIN_RUNNING, "h1", "42", PD_CEILOMETER_DEFAULT);
	first_json = domain_json(d[0]);
	d[1] = pd_compute_domain_new(
	  a, dom, uuid, VIR_DOMAIN_RUNNING, "h1", "42", PD_CEILOMETER_DEFAULT);
	d[2] = pd_compute_domain_new(
	  c, dom, uuid, VIR_DOMAIN_RUNNING, "h1", "42", PD_CEILOMETER_DEFAULT);
	d[3] =
	  pd_compute_domain_new(a, dom, uuid, VIR_DOMAIN_PAUSED, "h1", "42", PD_CEILOMETER_DEFAULT);
	d[4] = pd_compute_domain_new(
	  a, dom, uuid, VIR_DOMAIN_RUNNING, "h2", "42", PD_CEILOMETER_DEFAULT);
	d[5] = pd_compute_domain_new(
	  a, dom, uuid, VIR_DOMAIN_RUNNING, "h1", NULL, PD_CEILOMETER_DEFAULT);
	d[6] = pd_compute_domain_new(
	  a, dom, uuid, VIR_DOMAIN_RUNNING, "h1", "43", PD_CEILOMETER_DEFAULT);
	/* same key; same text from another profile (the owner is not in it) */
	g_assert_true(d[1]->cls == d[0]->cls);
	g_assert_true(d[2]->cls == d[0]->cls);
	for (guint i = 3; i < G_N_ELEMENTS(d); i++)
		g_assert_true(d[i]->cls != d[0]->cls);
	for (guint i = 1; i < 3; i++) {
		g_autofree gchar *json = domain_json(d[i]);
		g_assert_cmpstr(json, ==, first_json);
	}
	{
		g_autofree gchar *paused = domain_json(d[3]);
		g_autofree gchar *h2 = domain_json(d[4]);
		g_autofree gchar *no_id = domain_json(d[5]);
		g_autofree gchar *id43 = domain_json(d[6]);
		g_assert_nonnull(strstr(paused, "\"state\": \"paused\""));
		g_assert_nonnull(strstr(first_json, "\"instance_host\": \"h1\""));
		g_assert_nonnull(strstr(h2, "\"instance_host\": \"h2\""));
		g_assert_nonnull(strstr(no_id, "\"flavor\": {\"id\": null"));
		g_assert_nonnull(strstr(id43, "\"flavor\": {\"id\": \"43\""));
	}
	/* the last domains of a class free it with its keys: a new one is
	 * built again, the same */
	for (guint i = 0; i < G_N_ELEMENTS(d); i++)
		pd_compute_domain_unref(d[i]);
	d[0] = pd_compute_domain_new(
	  c, dom, uuid, VIR_DOMAIN_RUNNING, "h1", "42", PD_CEILOMETER_DEFAULT);
	{
		g_autofree gchar *json = domain_json(d[0]);
		g_assert_cmpstr(json, ==, first_json);
	}
	pd_compute_domain_unref(d[0]);
	virDomainFree(dom);
	virConnectClose(conn);
}

static void
add_ull(virTypedParameterPtr *params, gint *n, gint *max, const gchar *name, guint64 value)
{
	g_assert_cmpint(virTypedParamsAddULLong(params, n, max, name, value), ==, 0);
}

/* the test driver's bulk answer carries only the state: feed a full one */
static void
test_bulk_params(void)
{
	g_autoptr(PdComputeInstance) inst =
	  pd_compute_instance_parse(nova_xml, strlen(nova_xml), NULL);
	PdComputeDomainStats *ds = pd_compute_domain_stats_new(inst);
	virTypedParameterPtr params = NULL;
	gint n = 0, max = 0;

	g_assert_cmpint(virTypedParamsAddUInt(&params, &n, &max, "vcpu.current", 2), ==, 0);
	g_assert_cmpint(virTypedParamsAddUInt(&params, &n, &max, "vcpu.maximum", 2), ==, 0);
	add_ull(&params, &n, &max, "vcpu.0.time", 100);
	add_ull(&params, &n, &max, "vcpu.0.wait", 1);
	add_ull(&params, &n, &max, "vcpu.1.time", 200);
	add_ull(&params, &n, &max, "vcpu.1.wait", 2);
	add_ull(&params, &n, &max, "cpu.time", 999);
	add_ull(&params, &n, &max, "balloon.current", 4096);
	add_ull(&params, &n, &max, "balloon.available", 4096);
	add_ull(&params, &n, &max, "balloon.usable", 1024);
	add_ull(&params, &n, &max, "balloon.rss", 2048);
	add_ull(&params, &n, &max, "perf.cpu_cycles", 77);
	g_assert_cmpint(virTypedParamsAddUInt(&params, &n, &max, "block.count", 2), ==, 0);
	g_assert_cmpint(virTypedParamsAddString(&params, &n, &max, "block.0.name", "sdz"), ==, 0);
	g_assert_cmpint(virTypedParamsAddString(&params, &n, &max, "block.1.name", "vda"), ==, 0);
	add_ull(&params, &n, &max, "block.1.rd.reqs", 5);
	add_ull(&params, &n, &max, "block.1.rd.times", 6);
	add_ull(&params, &n, &max, "block.1.capacity", 7);
	g_assert_cmpint(virTypedParamsAddUInt(&params, &n, &max, "net.count", 1), ==, 0);
	g_assert_cmpint(virTypedParamsAddString(&params, &n, &max, "net.0.name", "tapx"), ==, 0);
	add_ull(&params, &n, &max, "net.0.rx.bytes", 8);
	add_ull(&params, &n, &max, "net.0.tx.drop", 9);

	pd_compute_domain_stats_apply_bulk(ds, inst, params, n);
	/* every vcpu reported time and wait: their sum, not cpu.time */
	g_assert_cmpint(ds->v[PD_COMPUTE_CPU_TIME], ==, 303);
	g_assert_cmpint(ds->v[PD_COMPUTE_CPU_NUMBER], ==, 2);
	g_assert_cmpint(ds->v[PD_COMPUTE_MEM_USABLE], ==, 1024);
	g_assert_cmpint(ds->v[PD_COMPUTE_PERF_CPU_CYCLES], ==, 77);
	g_assert_false(ds->have & (1u << PD_COMPUTE_PERF_INSTRUCTIONS));
	g_assert_cmpint(ds->disks[0].v[PD_COMPUTE_DISK_RD_REQ], ==, 5);
	g_assert_cmpint(ds->disks[0].v[PD_COMPUTE_DISK_RD_TIMES], ==, 6);
	g_assert_cmpint(ds->disks[0].v[PD_COMPUTE_DISK_CAPACITY], ==, 7);
	g_assert_cmpint(ds->vnics[0].v[PD_COMPUTE_NET_RX_BYTES], ==, 8);
	g_assert_cmpint(ds->vnics[0].v[PD_COMPUTE_NET_TX_DROP], ==, 9);
	g_assert_cmphex(ds->fetched, ==, 0x7f);
	pd_compute_domain_stats_free(ds);
	virTypedParamsFree(params, n);

	/* a vcpu without wait time: Ceilometer falls back to cpu.time */
	ds = pd_compute_domain_stats_new(inst);
	params = NULL;
	n = max = 0;
	g_assert_cmpint(virTypedParamsAddUInt(&params, &n, &max, "vcpu.current", 2), ==, 0);
	g_assert_cmpint(virTypedParamsAddUInt(&params, &n, &max, "vcpu.maximum", 2), ==, 0);
	add_ull(&params, &n, &max, "vcpu.0.time", 100);
	add_ull(&params, &n, &max, "cpu.time", 999);
	pd_compute_domain_stats_apply_bulk(ds, inst, params, n);
	g_assert_cmpint(ds->v[PD_COMPUTE_CPU_TIME], ==, 999);
	g_assert_false(ds->fetched & PD_COMPUTE_GROUP_MEMORY);
	pd_compute_domain_stats_free(ds);
	virTypedParamsFree(params, n);
}

typedef struct {
	PdConfig *config;
	PdComputePool *conn;
	PdDiscovery *discovery;
	GPtrArray *pollsters;
	guint64 cycle;
} Lifecycle;

static const PdComputeMeter lifecycle_meters[] = {
	{ "network.incoming.bytes.delta",
	  "B",
	  PD_SAMPLE_TYPE_DELTA,
	  PD_COMPUTE_VALUE_NET_DELTA,
	  PD_COMPUTE_GROUP_IFACE,
	  PD_COMPUTE_NET_RX_BYTES },
	{ "power.state", "state", PD_SAMPLE_TYPE_GAUGE, PD_COMPUTE_VALUE_POWER_STATE, 0, 0 },
	{ "cpu",
	  "ns",
	  PD_SAMPLE_TYPE_CUMULATIVE,
	  PD_COMPUTE_VALUE_CPU,
	  PD_COMPUTE_GROUP_INFO,
	  PD_COMPUTE_CPU_TIME },
};

/* one cycle: discovery then every pollster, samples of all */
static PdSampleBatch *
lifecycle_cycle(Lifecycle *lc, GPtrArray **resources_out)
{
	g_autoptr(PdCycleCache) cache = pd_cycle_cache_new(lc->config);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) resources =
	  PD_DISCOVERY_GET_CLASS(lc->discovery)->discover(lc->discovery, NULL, cache, NULL, &error);
	PdSampleBatch *all = pd_sample_batch_new();

	g_assert_no_error(error);
	lc->cycle++;
	for (guint i = 0; i < lc->pollsters->len; i++) {
		PdPollster *p = g_ptr_array_index(lc->pollsters, i);
		g_autoptr(PdPollContext) ctx = pd_poll_context_new(lc->config, cache, "test");
		g_autoptr(PdSampleBatch) batch = NULL;
		g_assert_true(PD_POLLSTER_GET_CLASS(p)->poll(p, ctx, resources, NULL, &error));
		g_assert_no_error(error);
		batch = pd_poll_context_steal_batch(ctx);
		pd_sample_batch_take(all, batch);
	}
	if (resources_out != NULL)
		*resources_out = g_steal_pointer(&resources);
	return all;
}

static guint
count_samples(PdSampleBatch *batch, const gchar *name, const gchar *rid_prefix, gint64 *value)
{
	guint n = 0;

	for (guint i = 0; i < pd_sample_batch_get_size(batch); i++) {
		PdSample *s = pd_sample_batch_index(batch, i);
		if (g_str_equal(s->name, name) && g_str_has_prefix(s->resource_id, rid_prefix)) {
			n++;
			if (value != NULL)
				*value = s->volume.i;
		}
	}
	return n;
}

static gchar *
new_domain_xml(const gchar *name, const gchar *uuid, const gchar *display)
{
	return g_strdup_printf(
	  "<domain type='test'><name>%s</name><uuid>%s</uuid><metadata>"
	  "<nova:instance xmlns:nova='" PD_COMPUTE_NOVA_NS_1_1 "'><nova:name>%s</nova:name>"
	  "<nova:flavor name='m1.tiny'><nova:memory>512</nova:memory></nova:flavor><nova:owner>"
	  "<nova:user uuid='u'>u</nova:user><nova:project uuid='p'>p</nova:project></nova:owner>"
	  "</nova:instance></metadata><memory>524288</memory><vcpu>1</vcpu>"
	  "<os><type arch='x86_64'>hvm</type></os><devices><interface type='network'>"
	  "<mac address='52:54:00:00:99:99'/><source network='default'/><target dev='tapnew'/>"
	  "</interface></devices></domain>",
	  name,
	  uuid,
	  display);
}

static const gchar *
domain_display_name(GPtrArray *resources, const gchar *uuid)
{
	for (guint i = 0; i < resources->len; i++) {
		PdComputeDomain *cd = pd_resource_get_data(g_ptr_array_index(resources, i));
		if (g_str_equal(cd->inst->uuid, uuid))
			return cd->inst->display_name;
	}
	return NULL;
}

static gboolean
slab_back_to(gpointer data)
{
	gsize used;

	pd_slab_get_stats(&used, NULL);
	return used == *(gsize *)data;
}

/* domains come and go between cycles; delta state follows them */
static void
test_lifecycle(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	const gchar *opts[] = {
		"--domains", "5", "--shutoff-every", "5", "--plain-every", "0", NULL
	};
	g_autofree gchar *xml = pd_test_compute_gen_domains(dir, opts);
	g_autofree gchar *uri = g_strconcat("test://", xml, NULL);
	g_autofree gchar *new_xml =
	  new_domain_xml("instance-new", "99999999-0000-0000-0000-000000000001", "fresh");
	virConnectPtr rw = virConnectOpen(uri);
	virDomainPtr gone, added;
	PdComputePollster *delta;
	g_autoptr(PdSampleBatch) b1 = NULL;
	g_autoptr(PdSampleBatch) b2 = NULL;
	g_autoptr(PdSampleBatch) b3 = NULL;
	g_autoptr(GPtrArray) res3 = NULL;
	gint64 value = -1;
	Lifecycle lc = { pd_config_new(), pd_compute_pool_new(NULL), NULL, NULL, 0 };
	gsize slab_before, slab_after;

	g_assert_nonnull(rw);
	pd_slab_get_stats(&slab_before, NULL);
	pd_compute_pool_set_conn(lc.conn, rw);
	lc.discovery = pd_compute_discovery_new(lc.conn);
	pd_compute_discovery_configure(
	  PD_COMPUTE_DISCOVERY(lc.discovery), "h", NULL, PD_CEILOMETER_DEFAULT);
	lc.pollsters = g_ptr_array_new_with_free_func(g_object_unref);
	for (guint i = 0; i < G_N_ELEMENTS(lifecycle_meters); i++)
		g_ptr_array_add(lc.pollsters,
				pd_compute_pollster_new(&lifecycle_meters[i], lc.conn));
	delta = g_ptr_array_index(lc.pollsters, 0);

	/* 4 running + 1 shut off: power.state for 5, the rest for 4 */
	b1 = lifecycle_cycle(&lc, NULL);
	g_assert_cmpuint(count_samples(b1, "power.state", "", NULL), ==, 5);
	g_assert_cmpuint(count_samples(b1, "cpu", "", NULL), ==, 4);
	g_assert_cmpuint(count_samples(b1, "network.incoming.bytes.delta", "", NULL), ==, 4);
	g_assert_cmpuint(count_samples(b1, "power.state", "", NULL), ==, 5);
	g_assert_cmpuint(pd_compute_pollster_get_delta_size(delta), ==, 4);

	/* one domain goes away, one appears, one is renamed in its Nova metadata */
	gone = virDomainLookupByName(rw, "instance-00000000");
	g_assert_cmpint(virDomainDestroy(gone), ==, 0);
	g_assert_cmpint(virDomainUndefine(gone), ==, 0);
	virDomainFree(gone);
	added = virDomainCreateXML(rw, new_xml, 0);
	g_assert_nonnull(added);
	b2 = lifecycle_cycle(&lc, NULL);
	g_assert_cmpuint(count_samples(b2, "cpu", "", NULL), ==, 4);
	g_assert_cmpuint(
	  count_samples(b2, "network.incoming.bytes.delta", "instance-new-", &value), ==, 1);
	g_assert_cmpint(value, ==, 0); /* first sight: no predecessor */
	g_assert_cmpuint(
	  count_samples(b2, "network.incoming.bytes.delta", "instance-00000000-", NULL), ==, 0);
	/* a pollster may be called once per part of a discovery: the delta
	 * state of the vanished vnic goes when the next cycle starts */
	g_assert_cmpuint(pd_compute_pollster_get_delta_size(delta), ==, 5);
	g_assert_cmpuint(
	  pd_compute_discovery_get_cache_size(PD_COMPUTE_DISCOVERY(lc.discovery)), ==, 5);

	/* libvirt puts the element into the namespace given with the key */
	pd_test_compute_set_instance(added, "renamed", "<flavor name='m1.tiny'/>");
	b3 = lifecycle_cycle(&lc, &res3);
	g_assert_cmpstr(
	  domain_display_name(res3, "99999999-0000-0000-0000-000000000001"), ==, "renamed");
	/* the instance parsed again keeps the vnic's baseline (the same id): a
	 * delta, not a first sight's 0 (the test driver's counter is the clock
	 * in 10 us steps, and a cycle takes milliseconds) */
	g_assert_cmpuint(
	  count_samples(b3, "network.incoming.bytes.delta", "instance-new-", &value), ==, 1);
	g_assert_cmpint(value, >, 0);
	g_assert_cmpuint(pd_compute_pollster_get_delta_size(delta), ==, 4);
	virDomainFree(added);

	g_ptr_array_unref(lc.pollsters);
	g_object_unref(lc.discovery);
	g_object_unref(lc.conn);
	g_object_unref(lc.config);
	virConnectClose(rw);
	/* instances, snapshots, their metadata and the baselines gave back
	 * their blocks, each at the size it took (a pipeline thread may drop
	 * its last statistics job a moment after the pool is gone) */
	g_clear_pointer(&res3, g_ptr_array_unref);
	g_clear_pointer(&b1, pd_sample_batch_free);
	g_clear_pointer(&b2, pd_sample_batch_free);
	g_clear_pointer(&b3, pd_sample_batch_free);
	pd_test_wait_for(slab_back_to, &slab_before, 10000);
	pd_slab_get_stats(&slab_after, NULL);
	g_assert_cmpuint(slab_after, ==, slab_before);
	pd_test_rmtree(dir);
}

/* ------------------------------------------------------------ in parts */

/* the first discovery hands the domains over as their XML is read: the
 * first part after a few reads, samples polled on it, every domain once;
 * a later one (nothing due) hands all known domains over at once */
static void
test_parts(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	guint domains = g_getenv("POLLD_WRAPPER") != NULL ? 100 : 1000;
	g_autofree gchar *xml = pd_test_compute_gen_running(dir, domains);
	g_autofree gchar *uri = g_strconcat("test://", xml, NULL);
	virConnectPtr conn = virConnectOpen(uri);
	g_autoptr(PdComputePool) pool = pd_compute_pool_new(NULL);
	g_autoptr(PdDiscovery) discovery = NULL;
	g_autoptr(GArray) log = NULL;
	PdTestComputeParts pt = { pd_config_new() };
	guint sum = 0;

	discovery = pd_test_compute_discovery_new(pool, conn);
	pt.pollster = pd_compute_pollster_new(pd_compute_meter_lookup("cpu"), pool);

	pd_test_compute_parts_run(&pt, discovery);
	log = pd_compute_discovery_get_parts(PD_COMPUTE_DISCOVERY(discovery));
	g_assert_cmpuint(pt.sizes->len, >, 2);
	g_assert_cmpuint(log->len, ==, 2 * pt.sizes->len);
	/* the first part: 2 domains, handed over when only their XML was read */
	g_assert_cmpuint(g_array_index(pt.sizes, guint, 0), ==, 2);
	g_assert_cmpuint(g_array_index(log, guint, 0), ==, 2);
	g_assert_cmpuint(g_array_index(log, guint, 1), ==, 2);
	for (guint i = 0; i < pt.sizes->len; i++)
		sum += g_array_index(pt.sizes, guint, i);
	g_assert_cmpuint(sum, ==, domains);
	g_assert_cmpuint(pt.rest->len, ==, 0);
	g_assert_cmpuint(pt.polled, ==, domains);
	pd_test_compute_parts_clear(&pt);
	g_clear_pointer(&log, g_array_unref);

	/* known domains, XML not due: one part, right after the listing */
	pd_test_compute_parts_run(&pt, discovery);
	log = pd_compute_discovery_get_parts(PD_COMPUTE_DISCOVERY(discovery));
	g_assert_cmpuint(pt.sizes->len, ==, 1);
	g_assert_cmpuint(g_array_index(pt.sizes, guint, 0), ==, domains);
	g_assert_cmpuint(g_array_index(log, guint, 1), ==, 0);
	g_assert_cmpuint(pt.polled, ==, domains);
	pd_test_compute_parts_clear(&pt);

	g_object_unref(pt.pollster);
	g_clear_object(&discovery);
	g_clear_object(&pool);
	g_object_unref(pt.config);
	virConnectClose(conn);
	pd_test_rmtree(dir);
}

/* the value of @name for @rid in @batch; fails unless exactly one sample has it */
static PdSample *
batch_sample(PdSampleBatch *batch, const gchar *name, const gchar *rid)
{
	PdSample *found = NULL;

	for (guint i = 0; i < pd_sample_batch_get_size(batch); i++) {
		PdSample *s = pd_sample_batch_index(batch, i);
		if (g_str_equal(s->name, name) && g_str_equal(s->resource_id, rid)) {
			g_assert_null(found);
			found = s;
		}
	}
	g_assert_nonnull(found);
	return found;
}

static virTypedParameterPtr
synthetic_record(PdComputeDomain *cd, gint k, gint *n_out)
{
	virTypedParameterPtr params = NULL;
	gint n = 0, max = 0;

	/* the cpu group: memory comes with it, as on QEMU */
	g_assert_cmpint(virTypedParamsAddUInt(&params, &n, &max, "vcpu.current", 1), ==, 0);
	add_ull(&params, &n, &max, "cpu.time", 5000000 + k);
	add_ull(&params, &n, &max, "balloon.current", 1536000 + k * 1024);
	add_ull(&params, &n, &max, "balloon.available", 4096000 + k * 1024);
	/* domain 0 has no "usable" (older guest drivers): usage falls back to unused */
	add_ull(&params, &n, &max, k == 0 ? "balloon.unused" : "balloon.usable", 1024000 + k);
	add_ull(&params, &n, &max, "balloon.rss", 2048000 + k * 2048);
	add_ull(&params, &n, &max, "balloon.swap_in", 10240 * k);
	add_ull(&params, &n, &max, "balloon.swap_out", 20480 * k);
	add_ull(&params, &n, &max, "perf.cpu_cycles", 1000 + k);
	add_ull(&params, &n, &max, "perf.instructions", 2000 + k);
	add_ull(&params, &n, &max, "perf.cache_references", 3000 + k);
	add_ull(&params, &n, &max, "perf.cache_misses", 4000 + k);
	g_assert_cmpint(
	  virTypedParamsAddUInt(&params, &n, &max, "block.count", cd->inst->n_disks), ==, 0);
	for (guint i = 0; i < cd->inst->n_disks; i++) {
		PdComputeDisk *disk = &cd->inst->disks[i];
		g_autofree gchar *name = g_strdup_printf("block.%u.name", i);
		g_autofree gchar *rd = g_strdup_printf("block.%u.rd.times", i);
		g_autofree gchar *wr = g_strdup_printf("block.%u.wr.times", i);
		g_assert_cmpint(virTypedParamsAddString(&params, &n, &max, name, disk->dev), ==, 0);
		add_ull(&params, &n, &max, rd, 500000 + k * 10 + i);
		add_ull(&params, &n, &max, wr, 700000 + k * 10 + i);
	}
	*n_out = n;
	return params;
}

/* one compute meter polled over @resources, its samples moved into @all */
static void
poll_meter_into(PdSampleBatch *all,
		const gchar *name,
		PdComputePool *conn,
		PdConfig *config,
		PdCycleCache *cache,
		GPtrArray *resources)
{
	g_autoptr(PdPollster) pollster =
	  PD_POLLSTER(pd_compute_pollster_new(pd_compute_meter_lookup(name), conn));
	g_autoptr(PdPollContext) ctx = pd_poll_context_new(config, cache, "test");
	g_autoptr(PdSampleBatch) batch = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_true(
	  PD_POLLSTER_GET_CLASS(pollster)->poll(pollster, ctx, resources, NULL, &error));
	g_assert_no_error(error);
	/* take moves the samples: the emptied batch stays the caller's */
	batch = pd_poll_context_steal_batch(ctx);
	pd_sample_batch_take(all, batch);
}

/* The 11 meters the test driver can't feed (memory.*, latency, perf), end to
 * end through the real pollsters: the cycle's statistics come from synthetic
 * bulk records for the fixture's domains, then every value, unit and type is
 * checked against the record, memory.usage with both of Ceilometer's
 * formulas ((available - usable) / 1024, else (available - unused) / 1024). */
static void
test_values_synthetic(void)
{
	g_autofree gchar *dir = pd_test_mkdtemp();
	const gchar *opts[] = { "--domains",	 "4", "--disks", "2", "--shutoff-every", "0",
				"--plain-every", "0", NULL };
	g_autofree gchar *xml = pd_test_compute_gen_domains(dir, opts);
	g_autofree gchar *uri = g_strconcat("test://", xml, NULL);
	virConnectPtr rw = virConnectOpen(uri);
	g_autoptr(PdConfig) config = pd_config_new();
	g_autoptr(PdComputePool) conn = pd_compute_pool_new(NULL);
	g_autoptr(PdDiscovery) discovery = NULL;
	g_autoptr(PdCycleCache) cache = pd_cycle_cache_new(config);
	g_autoptr(GPtrArray) resources = NULL;
	g_autoptr(PdSampleBatch) all = pd_sample_batch_new();
	g_autoptr(GError) error = NULL;
	g_autofree virDomainStatsRecordPtr *records = NULL;
	g_autofree virDomainStatsRecord *recs = NULL;

	g_assert_nonnull(rw);
	pd_compute_pool_set_conn(conn, rw);
	discovery = pd_compute_discovery_new(conn);
	resources =
	  PD_DISCOVERY_GET_CLASS(discovery)->discover(discovery, NULL, cache, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(resources->len, ==, 4);
	recs = g_new0(virDomainStatsRecord, resources->len);
	records = g_new0(virDomainStatsRecordPtr, resources->len + 1);
	for (guint k = 0; k < resources->len; k++) {
		PdComputeDomain *cd = pd_resource_get_data(g_ptr_array_index(resources, k));
		recs[k].dom = cd->dom;
		recs[k].params = synthetic_record(cd, k, &recs[k].nparams);
		records[k] = &recs[k];
	}
	g_assert_nonnull(
	  pd_compute_stats_get_from_records(cache, conn, resources, records, &error));
	g_assert_no_error(error);

	for (guint i = 0; pd_test_compute_unfed_meters[i] != NULL; i++)
		poll_meter_into(
		  all, pd_test_compute_unfed_meters[i], conn, config, cache, resources);
	/* and memory, 26.0.0's: the balloon's size, balloon.current / 1024 */
	poll_meter_into(all, "memory", conn, config, cache, resources);
	for (guint k = 0; k < resources->len; k++) {
		PdComputeDomain *cd = pd_resource_get_data(g_ptr_array_index(resources, k));
		const gchar *id = cd->inst->uuid;
		gdouble avail = 4096000 + k * 1024;
		PdSample *s = batch_sample(all, "memory", id);

		g_assert_cmpfloat(s->volume.d, ==, (1536000 + k * 1024) / 1024.0);
		g_assert_cmpstr(s->unit, ==, "MiB");
		s = batch_sample(all, "memory.usage", id);

		g_assert_cmpfloat_with_epsilon(s->volume.d, (avail - (1024000 + k)) / 1024.0, 1e-9);
		g_assert_cmpstr(s->unit, ==, "MiB");
		g_assert_cmpint(s->type, ==, PD_SAMPLE_TYPE_GAUGE);
		s = batch_sample(all, "memory.available", id);
		g_assert_cmpfloat_with_epsilon(s->volume.d, avail / 1024.0, 1e-9);
		s = batch_sample(all, "memory.resident", id);
		g_assert_cmpfloat_with_epsilon(s->volume.d, (2048000 + k * 2048) / 1024.0, 1e-9);
		s = batch_sample(all, "memory.swap.in", id);
		g_assert_cmpfloat_with_epsilon(s->volume.d, 10240 * k / 1024.0, 1e-9);
		g_assert_cmpint(s->type, ==, PD_SAMPLE_TYPE_CUMULATIVE);
		s = batch_sample(all, "memory.swap.out", id);
		g_assert_cmpfloat_with_epsilon(s->volume.d, 20480 * k / 1024.0, 1e-9);
		g_assert_cmpint(batch_sample(all, "perf.cpu.cycles", id)->volume.i, ==, 1000 + k);
		g_assert_cmpint(batch_sample(all, "perf.instructions", id)->volume.i, ==, 2000 + k);
		g_assert_cmpint(
		  batch_sample(all, "perf.cache.references", id)->volume.i, ==, 3000 + k);
		g_assert_cmpint(batch_sample(all, "perf.cache.misses", id)->volume.i, ==, 4000 + k);
		g_assert_cmpuint(cd->inst->n_disks, ==, 2);
		for (guint i = 0; i < cd->inst->n_disks; i++) {
			g_autoptr(GString) buf = g_string_new(NULL);
			const gchar *rid = pd_compute_domain_disk_resource_id_in(cd, i, buf);
			s = batch_sample(all, "disk.device.read.latency", rid);
			g_assert_cmpint(s->volume.i, ==, 500000 + k * 10 + i);
			g_assert_cmpstr(s->unit, ==, "ns");
			g_assert_cmpint(
			  batch_sample(all, "disk.device.write.latency", rid)->volume.i,
			  ==,
			  700000 + k * 10 + i);
		}
	}
	/* 10 instance meters per domain plus 2 latency meters per disk */
	g_assert_cmpuint(pd_sample_batch_get_size(all), ==, resources->len * (10 + 2 * 2));
	for (guint k = 0; k < resources->len; k++)
		virTypedParamsFree(recs[k].params, recs[k].nparams);
	virConnectClose(rw);
	pd_test_rmtree(dir);
}

static gchar *
discover_display_name(PdDiscovery *discovery, const gchar *uuid)
{
	g_autoptr(PdConfig) config = pd_config_new();
	g_autoptr(PdCycleCache) cache = pd_cycle_cache_new(config);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) resources =
	  PD_DISCOVERY_GET_CLASS(discovery)->discover(discovery, NULL, cache, NULL, &error);

	g_assert_no_error(error);
	return g_strdup(domain_display_name(resources, uuid));
}

static void
rename_instance(virDomainPtr dom, const gchar *name)
{
	pd_test_compute_set_instance(dom, name, "<flavor name='m1.tiny'/>");
}

/* the XML's fingerprint is SipHash-2-4: the reference vectors (key 00..0f,
 * message 00..n-1), and one byte changed anywhere changes it */
static void
test_sum(void)
{
	static const struct {
		gsize len;
		guint64 sum;
	} vectors[] = {
		{ 0, 0x726fdb47dd0e0e31ull },
		{ 1, 0x74f839c593dc67fdull },
		{ 15, 0xa129ca6149be45e5ull },
	};
	g_autofree gchar *xml =
	  new_domain_xml("instance-sum", "99999999-0000-0000-0000-0000000000aa", "x");
	guint8 key[16], msg[64], a[PD_COMPUTE_SUM_LEN], b[PD_COMPUTE_SUM_LEN];
	gsize len = strlen(xml);

	for (guint i = 0; i < sizeof(msg); i++)
		msg[i] = (guint8)i;
	memcpy(key, msg, sizeof(key));
	for (guint i = 0; i < G_N_ELEMENTS(vectors); i++)
		g_assert_cmphex(
		  pd_compute_sum_siphash24(key, msg, vectors[i].len), ==, vectors[i].sum);
	pd_compute_sum_xml(xml, len, a);
	pd_compute_sum_xml(xml, len, b);
	g_assert_cmpmem(a, sizeof(a), b, sizeof(b));
	for (gsize i = 0; i < len; i++) {
		gchar c = xml[i];
		xml[i] = (gchar)(c ^ 1);
		pd_compute_sum_xml(xml, len, b);
		g_assert_true(memcmp(a, b, sizeof(a)) != 0);
		xml[i] = c;
	}
	pd_compute_sum_xml(xml, len - 1, b);
	g_assert_true(memcmp(a, b, sizeof(a)) != 0);
}

/* [compute] resource_update_interval: 0 reads every XML every cycle, else a
 * known domain's XML is read again once the interval is over (or its state
 * changed); resource_cache_expiry forgets everything */
static void
test_update_interval(void)
{
	const gchar *uuid = "99999999-0000-0000-0000-000000000002";
	g_autofree gchar *xml = new_domain_xml("instance-upd", uuid, "first");
	virConnectPtr rw = virConnectOpen("test:///default");
	g_autoptr(PdComputePool) conn = pd_compute_pool_new(NULL);
	g_autoptr(PdDiscovery) discovery = NULL;
	PdComputeDiscovery *cd;
	virDomainPtr dom;
	gchar *name;

	g_assert_nonnull(rw);
	dom = virDomainCreateXML(rw, xml, 0);
	g_assert_nonnull(dom);
	pd_compute_pool_set_conn(conn, rw);
	discovery = pd_compute_discovery_new(conn);
	cd = PD_COMPUTE_DISCOVERY(discovery);
	pd_compute_discovery_configure(cd, "h", NULL, PD_CEILOMETER_DEFAULT);

	/* the default, 0: a change shows at the next cycle */
	name = discover_display_name(discovery, uuid);
	g_assert_cmpstr(name, ==, "first");
	g_free(name);
	rename_instance(dom, "second");
	name = discover_display_name(discovery, uuid);
	g_assert_cmpstr(name, ==, "second");
	g_free(name);

	/* 600 s: the cached XML stands until the interval is over */
	pd_compute_discovery_set_refresh(cd, 600 * G_USEC_PER_SEC, 0);
	name = discover_display_name(discovery, uuid);
	g_free(name);
	rename_instance(dom, "third");
	pd_compute_discovery_advance_clock(cd, 599 * G_USEC_PER_SEC);
	name = discover_display_name(discovery, uuid);
	g_assert_cmpstr(name, ==, "second");
	g_free(name);
	pd_compute_discovery_advance_clock(cd, 1 * G_USEC_PER_SEC);
	name = discover_display_name(discovery, uuid);
	g_assert_cmpstr(name, ==, "third");
	g_free(name);

	/* a state change reads the XML at once */
	rename_instance(dom, "fourth");
	g_assert_cmpint(virDomainSuspend(dom), ==, 0);
	name = discover_display_name(discovery, uuid);
	g_assert_cmpstr(name, ==, "fourth");
	g_free(name);

	/* the cache expiry forgets everything, whatever the interval */
	pd_compute_discovery_set_refresh(cd, 600 * G_USEC_PER_SEC, 60 * G_USEC_PER_SEC);
	rename_instance(dom, "fifth");
	pd_compute_discovery_advance_clock(cd, 61 * G_USEC_PER_SEC);
	name = discover_display_name(discovery, uuid);
	g_assert_cmpstr(name, ==, "fifth");
	g_free(name);

	g_assert_cmpint(virDomainDestroy(dom), ==, 0);
	virDomainFree(dom);
	g_clear_object(&discovery);
	virConnectClose(rw);
}

static PdComputeDomain *
discover_domain(PdDiscovery *discovery, guintptr *dom)
{
	g_autoptr(PdConfig) config = pd_config_new();
	g_autoptr(PdCycleCache) cache = pd_cycle_cache_new(config);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) resources =
	  PD_DISCOVERY_GET_CLASS(discovery)->discover(discovery, NULL, cache, NULL, &error);
	PdComputeDomain *cd;

	g_assert_no_error(error);
	g_assert_cmpuint(resources->len, ==, 1);
	cd = pd_resource_get_data(g_ptr_array_index(resources, 0));
	*dom = (guintptr)cd->dom;
	/* the resource's id is the parsed instance's, not a copy */
	g_assert_true(pd_resource_get_id(g_ptr_array_index(resources, 0)) == cd->inst->uuid);
	/* the cache's reference outlives the run's */
	return cd;
}

/* A reused snapshot moves to the new listing's handle: one domain handle
 * alive per domain between cycles, not the first listing's and the
 * last's. Listings are made anew while the connection has no domain
 * events (and at least once a minute with them). */
static void
test_snapshot_handle(void)
{
	const gchar *uuid = "99999999-0000-0000-0000-000000000003";
	g_autofree gchar *xml = new_domain_xml("instance-hdl", uuid, "first");
	virConnectPtr rw = virConnectOpen("test:///default");
	g_autoptr(PdComputePool) conn = pd_compute_pool_new(NULL);
	g_autoptr(PdDiscovery) discovery = NULL;
	PdComputeDiscovery *disc;
	PdComputeDomain *first, *second;
	guintptr dom_first, dom_second;
	guint listings;
	virDomainPtr dom;

	g_assert_nonnull(rw);
	dom = virDomainCreateXML(rw, xml, 0);
	g_assert_nonnull(dom);
	pd_compute_pool_set_conn(conn, rw);
	discovery = pd_compute_discovery_new(conn);
	disc = PD_COMPUTE_DISCOVERY(discovery);
	pd_compute_discovery_configure(disc, "h", NULL, PD_CEILOMETER_DEFAULT);
	/* the XML is not read again: the snapshot stands */
	pd_compute_discovery_set_refresh(disc, 600 * G_USEC_PER_SEC, 0);

	first = discover_domain(discovery, &dom_first);
	listings = pd_compute_discovery_get_listings(disc, NULL);
	pd_compute_discovery_advance_clock(disc, 61 * G_USEC_PER_SEC);
	second = discover_domain(discovery, &dom_second);
	g_assert_cmpuint(pd_compute_discovery_get_listings(disc, NULL), ==, listings + 1);
	g_assert_true(first == second);
	/* the second listing's handle was made while the first's was alive
	 * (the kept listing held it): another address, the snapshot's now */
	g_assert_true(dom_second != dom_first);

	g_assert_cmpint(virDomainDestroy(dom), ==, 0);
	virDomainFree(dom);
	g_clear_object(&discovery);
	virConnectClose(rw);
}

gint
main(gint argc, gchar **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(virInitialize(), ==, 0);
	g_test_add_func("/compute/parse", test_parse);
	g_test_add_func("/compute/parse/profile", test_parse_profile);
	g_test_add_func("/compute/parse/odd", test_parse_odd);
	g_test_add_func("/compute/parse/fast", test_parse_fast);
	g_test_add_func("/compute/parse/fast-random", test_parse_fast_random);
	g_test_add_func("/compute/sum", test_sum);
	g_test_add_func("/compute/domain/classes", test_domain_classes);
	g_test_add_func("/compute/bulk-params", test_bulk_params);
	g_test_add_func("/compute/lifecycle", test_lifecycle);
	g_test_add_func("/compute/parts", test_parts);
	g_test_add_func("/compute/values-synthetic", test_values_synthetic);
	g_test_add_func("/compute/update-interval", test_update_interval);
	g_test_add_func("/compute/snapshot-handle", test_snapshot_handle);
	return g_test_run();
}
