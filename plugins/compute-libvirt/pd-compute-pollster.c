/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdPlugin-compute"

#include <string.h>

#include "pd-compute-domain.h"
#include "pd-compute-pollster.h"
#include "pd-compute-stats.h"

/*
 * A delta meter keeps one for every vnic: its key is the vnic's resource id,
 * written by its instance (a reference), not a copy of the text (about 70
 * bytes a vnic). A lookup's probe has the id's text in @rid as well.
 */
typedef struct {
	PdComputeInstance *inst;
	guint vnic;
	const gchar *rid; /* a probe's, NULL once kept */
	gint64 value;
	guint64 seen; /* cycle that last saw the resource */
} PdComputeDeltaPrev;

struct _PdComputePollster {
	PdPollster parent_instance;
	const PdComputeMeter *meter;
	PdComputePool *pool;
	gboolean use_bulk;
	GMutex delta_lock;
	GHashTable *delta_prev; /* set of PdComputeDeltaPrev, keyed by resource id */
	guint64 cycle;		/* of the last invocation */
};

G_DEFINE_TYPE(PdComputePollster, pd_compute_pollster, PD_TYPE_POLLSTER)

/* what one poll invocation works with */
typedef struct {
	PdComputePollster *self;
	const PdComputeMeter *meter; /* as [polld] ceilometer_compat's release has it */
	PdPollContext *ctx;
	PdResource *res;
	PdComputeDomain *cd;
	PdComputeDomainStats *ds;
	guint64 cycle;
	const gchar *unit; /* as [polld] ceilometer_compat's release has it */
	GString *rid;	   /* a device's resource id, written over per sample */
} PdComputePoll;

/* 26.0.0 renamed MB to MiB and GB to GiB on every compute meter that had them */
static const gchar *
pd_compute_unit(const gchar *unit, PdConfig *config)
{
	PdCeilometerRelease release;

	pd_config_get_ceilometer_compat(config, &release, NULL);
	if (release < PD_CEILOMETER_2026_1)
		return unit;
	if (g_strcmp0(unit, "MB") == 0)
		return "MiB";
	if (g_strcmp0(unit, "GB") == 0)
		return "GiB";
	return unit;
}

static PdSample *
pd_compute_emit(PdComputePoll *p, const gchar *resource_id, PdMetadata *md, gdouble monotonic)
{
	PdComputeInstance *inst = p->cd->inst;
	PdSample *sample = pd_poll_context_add_sample(p->ctx,
						      p->meter->name,
						      p->meter->type,
						      p->unit,
						      resource_id,
						      inst->profile->user_id,
						      inst->profile->project_id,
						      md);
	/* after the add: the engine may have handed the previous batch over */
	PdSampleBatch *batch = pd_poll_context_get_batch(p->ctx);

	sample->user_name = pd_sample_batch_intern(batch, inst->profile->user_name);
	sample->project_name = pd_sample_batch_intern(batch, inst->profile->project_name);
	sample->monotonic_time = monotonic;
	return sample;
}

static gdouble
pd_compute_poll_monotonic(PdComputePoll *p)
{
	if (p->ds == NULL)
		return pd_sample_monotonic_now();
	return p->ds->monotonic[pd_compute_group_index(p->meter->group)];
}

static void
pd_compute_fail(PdComputePoll *p, const gchar *why)
{
	g_autofree gchar *reason =
	  g_strdup_printf("%s: %s for instance %s", p->meter->name, why, p->cd->inst->uuid);
	pd_poll_context_add_permanent_failure(p->ctx, p->res, reason);
}

static gboolean
pd_compute_has(PdComputeDomainStats *ds, gint field)
{
	return (g_atomic_int_get(&ds->have) & (1u << field)) != 0;
}

/* a memory stat the guest doesn't report while reporting others never
 * comes; no memory stats at all is a guest still booting */
static void
pd_compute_missing_memory(PdComputePoll *p)
{
	guint32 mem_bits = 0;

	for (gint f = PD_COMPUTE_MEM_AVAILABLE; f <= PD_COMPUTE_MEM_SWAP_OUT; f++)
		mem_bits |= 1u << f;
	if (g_atomic_int_get(&p->ds->have) & mem_bits)
		pd_compute_fail(p, "the guest does not report this memory statistic");
	else
		g_debug("%s: no memory statistics for %s yet", p->meter->name, p->cd->inst->uuid);
}

static gboolean
pd_compute_memory_usage(PdComputeDomainStats *ds, gdouble *out)
{
	gint64 *v = ds->v;

	if (!pd_compute_has(ds, PD_COMPUTE_MEM_AVAILABLE))
		return FALSE;
	if (pd_compute_has(ds, PD_COMPUTE_MEM_USABLE))
		*out = (gdouble)(v[PD_COMPUTE_MEM_AVAILABLE] - v[PD_COMPUTE_MEM_USABLE]) / 1024.0;
	else if (pd_compute_has(ds, PD_COMPUTE_MEM_UNUSED))
		*out = (gdouble)(v[PD_COMPUTE_MEM_AVAILABLE] - v[PD_COMPUTE_MEM_UNUSED]) / 1024.0;
	else
		return FALSE;
	return TRUE;
}

static void
pd_compute_poll_instance(PdComputePoll *p)
{
	const PdComputeMeter *m = p->meter;
	PdComputeDomainStats *ds = p->ds;
	gdouble mb;

	switch (m->kind) {
		case PD_COMPUTE_VALUE_CPU:
			if (pd_compute_has(ds, PD_COMPUTE_CPU_TIME)) {
				g_autoptr(PdMetadata) md = pd_compute_domain_get_cpu_md(
				  p->cd,
				  pd_compute_has(ds, PD_COMPUTE_CPU_NUMBER)
				    ? ds->v[PD_COMPUTE_CPU_NUMBER]
				    : -1);
				pd_sample_set_int(
				  pd_compute_emit(
				    p, p->cd->inst->uuid, md, pd_compute_poll_monotonic(p)),
				  ds->v[PD_COMPUTE_CPU_TIME]);
			}
			return;
		case PD_COMPUTE_VALUE_MEM_USAGE:
			if (!pd_compute_memory_usage(ds, &mb)) {
				pd_compute_missing_memory(p);
				return;
			}
			break;
		case PD_COMPUTE_VALUE_MEM_MB:
			/* memoryStats has no "actual" then: Ceilometer sends nothing */
			if (m->field == PD_COMPUTE_MEM_ACTUAL && p->cd->inst->no_balloon) {
				pd_compute_fail(p, "the domain has no memory balloon");
				return;
			}
			if (m->field == PD_COMPUTE_MEM_ACTUAL && !pd_compute_has(ds, m->field))
				return;
			if (!pd_compute_has(ds, m->field)) {
				pd_compute_missing_memory(p);
				return;
			}
			mb = (gdouble)ds->v[m->field] / 1024.0;
			break;
		default:
			if (!pd_compute_has(ds, m->field)) {
				if (m->group == PD_COMPUTE_GROUP_PERF)
					pd_compute_fail(p, "perf event not enabled for the domain");
				return;
			}
			pd_sample_set_int(
			  pd_compute_emit(
			    p, p->cd->inst->uuid, p->cd->md, pd_compute_poll_monotonic(p)),
			  ds->v[m->field]);
			return;
	}
	pd_sample_set_double(
	  pd_compute_emit(p, p->cd->inst->uuid, p->cd->md, pd_compute_poll_monotonic(p)), mb);
}

static void
pd_compute_poll_disks(PdComputePoll *p)
{
	const PdComputeMeter *m = p->meter;
	guint found = 0;

	for (guint i = 0; i < p->cd->inst->n_disks; i++) {
		PdComputeDiskStats *st = &p->ds->disks[i];
		const gchar *rid;
		gint64 value;
		if (!(g_atomic_int_get(&st->have) & (1u << m->field)))
			continue;
		value = st->v[m->field];
		if (m->kind == PD_COMPUTE_VALUE_DISK_CAPACITY)
			value = MAX(value, st->v[PD_COMPUTE_DISK_PHYSICAL]);
		rid = pd_compute_domain_disk_resource_id_in(p->cd, i, p->rid);
		pd_sample_set_int(
		  pd_compute_emit(p, rid, p->cd->disk_md[i], pd_compute_poll_monotonic(p)), value);
		found++;
	}
	if (found == 0 && p->cd->inst->n_disks > 0 && m->group == PD_COMPUTE_GROUP_BLOCK_TIMES)
		pd_compute_fail(p, "the driver reports no block I/O times");
}

/* the resource id's text in parts, joined by '-' */
static guint
pd_compute_delta_parts(const PdComputeDeltaPrev *e, const gchar *parts[3])
{
	if (e->rid != NULL) {
		parts[0] = e->rid;
		return 1;
	}
	return pd_compute_domain_vnic_id_parts(e->inst, e->vnic, parts);
}

typedef struct {
	const gchar *parts[3];
	guint n;
	guint i;
	const gchar *p;
} PdComputeRidCursor;

static void
pd_compute_rid_cursor_init(PdComputeRidCursor *c, const PdComputeDeltaPrev *e)
{
	c->n = pd_compute_delta_parts(e, c->parts);
	c->i = 0;
	c->p = c->parts[0];
}

/* the next character of the joined text, -1 at its end */
static gint
pd_compute_rid_next(PdComputeRidCursor *c)
{
	if (*c->p == '\0') {
		if (++c->i >= c->n)
			return -1;
		c->p = c->parts[c->i];
		return '-';
	}
	return (guchar)*c->p++;
}

static guint
pd_compute_delta_hash(gconstpointer key)
{
	const PdComputeDeltaPrev *e = key;
	PdComputeRidCursor c;
	guint h = 5381;
	gint ch;

	/* a probe (every lookup): the text at hand, a character a step */
	if (e->rid != NULL) {
		for (const guchar *p = (const guchar *)e->rid; *p != '\0'; p++)
			h = h * 33 + *p;
		return h;
	}
	pd_compute_rid_cursor_init(&c, e);
	while ((ch = pd_compute_rid_next(&c)) >= 0)
		h = h * 33 + (guint)ch;
	return h;
}

static gboolean
pd_compute_delta_equal(gconstpointer a, gconstpointer b)
{
	const PdComputeDeltaPrev *x = a, *y = b;
	PdComputeRidCursor cx, cy;
	gint ch;

	/* the same vnic of the same instance: the same id (the usual case) */
	if (x->inst == y->inst && x->vnic == y->vnic)
		return TRUE;
	pd_compute_rid_cursor_init(&cx, x);
	pd_compute_rid_cursor_init(&cy, y);
	do {
		ch = pd_compute_rid_next(&cx);
		if (ch != pd_compute_rid_next(&cy))
			return FALSE;
	} while (ch >= 0);
	return TRUE;
}

static void
pd_compute_delta_free(gpointer data)
{
	PdComputeDeltaPrev *e = data;

	pd_compute_instance_unref(e->inst);
	pd_slab_free(e, sizeof(*e));
}

/* like Ceilometer: 0 the first time, the counter itself after a reset;
 * @rid: vnic @idx's resource id */
static gint64
pd_compute_delta(PdComputePoll *p, guint idx, const gchar *rid, gint64 value)
{
	PdComputePollster *self = p->self;
	PdComputeDeltaPrev probe = { p->cd->inst, idx, rid, 0, 0 };
	PdComputeDeltaPrev *prev;
	gint64 delta = 0;

	g_mutex_lock(&self->delta_lock);
	prev = g_hash_table_lookup(self->delta_prev, &probe);
	if (prev == NULL) {
		/* kept from cycle to cycle: apart from a cycle's allocations */
		prev = memcpy(pd_slab_alloc(sizeof(probe)), &probe, sizeof(probe));
		pd_compute_instance_ref(prev->inst);
		/* hashed from the probe's text while it is added */
		g_hash_table_add(self->delta_prev, prev);
		prev->rid = NULL;
	} else {
		/* the domain's XML was read again: the id is the same text */
		if (prev->inst != probe.inst) {
			pd_compute_instance_unref(prev->inst);
			prev->inst = pd_compute_instance_ref(probe.inst);
			prev->vnic = idx;
		}
		delta = value - prev->value;
		if (delta < 0)
			delta = value;
	}
	prev->value = value;
	prev->seen = p->cycle;
	g_mutex_unlock(&self->delta_lock);
	return delta;
}

static void
pd_compute_poll_vnics(PdComputePoll *p)
{
	const PdComputeMeter *m = p->meter;

	for (guint i = 0; i < p->cd->inst->n_vnics; i++) {
		PdComputeNetStats *st = &p->ds->vnics[i];
		const gchar *rid;
		gint64 value;
		if (!(g_atomic_int_get(&st->have) & (1u << m->field)))
			continue;
		rid = pd_compute_domain_vnic_resource_id_in(p->cd, i, p->rid);
		value = st->v[m->field];
		if (m->kind == PD_COMPUTE_VALUE_NET_DELTA)
			value = pd_compute_delta(p, i, rid, value);
		pd_sample_set_int(
		  pd_compute_emit(p, rid, p->cd->vnic_md[i], pd_compute_poll_monotonic(p)), value);
	}
}

/* meters known from discovery alone */
static void
pd_compute_poll_static(PdComputePoll *p)
{
	PdComputeInstance *inst = p->cd->inst;
	PdSample *s = pd_compute_emit(p, inst->uuid, p->cd->md, pd_sample_monotonic_now());

	switch (p->meter->kind) {
		case PD_COMPUTE_VALUE_FLAVOR_MEMORY:
			pd_sample_set_int(s, inst->profile->memory_mb);
			break;
		case PD_COMPUTE_VALUE_ROOT_SIZE:
			pd_sample_set_int(s, inst->profile->disk_gb - inst->profile->ephemeral_gb);
			break;
		case PD_COMPUTE_VALUE_EPHEMERAL_SIZE:
			pd_sample_set_int(s, inst->profile->ephemeral_gb);
			break;
		case PD_COMPUTE_VALUE_POWER_STATE:
			pd_sample_set_int(s, p->cd->state);
			break;
		default:
			g_assert_not_reached();
	}
}

/* @w: the window holding the domain's statistics record at @slot */
static void
pd_compute_poll_one(PdComputePoll *p, PdComputeStatsWindow *w, guint slot)
{
	const PdComputeMeter *m = p->meter;

	/* shut off domains have nothing but their power state */
	if (p->cd->state == VIR_DOMAIN_SHUTOFF && m->kind != PD_COMPUTE_VALUE_POWER_STATE)
		return;
	if (m->group == 0) {
		pd_compute_poll_static(p);
		return;
	}
	p->ds = pd_compute_stats_window_wait(w, slot);
	if (g_atomic_int_get(&p->ds->unsupported) & m->group) {
		pd_compute_fail(p, "the libvirt driver does not provide it");
		return;
	}
	/* not fetched: a transient failure, logged where it happened */
	if (!(g_atomic_int_get(&p->ds->fetched) & m->group))
		return;
	if (m->kind == PD_COMPUTE_VALUE_DISK_FIELD || m->kind == PD_COMPUTE_VALUE_DISK_CAPACITY)
		pd_compute_poll_disks(p);
	else if (m->kind == PD_COMPUTE_VALUE_NET_FIELD || m->kind == PD_COMPUTE_VALUE_NET_DELTA)
		pd_compute_poll_vnics(p);
	else
		pd_compute_poll_instance(p);
}

static gpointer
pd_compute_cycle_serial_new(gpointer user_data, GError **error)
{
	static gint serial; /* atomic */
	guint64 *out = g_new(guint64, 1);

	*out = (guint64)(guint)g_atomic_int_add(&serial, 1) + 1;
	return out;
}

/* a pollster may be called once per part of the discovery, so delta state
 * is pruned per cycle: the first invocation of a cycle drops the vnics the
 * previous cycle did not see (vanished, or no longer polled) */
static guint64
pd_compute_pollster_enter_cycle(PdComputePollster *self, PdPollContext *ctx)
{
	guint64 *serial = pd_cycle_cache_get(pd_poll_context_get_cache(ctx),
					     "compute-libvirt-cycle",
					     pd_compute_cycle_serial_new,
					     NULL,
					     g_free,
					     NULL);
	GHashTableIter iter;
	PdComputeDeltaPrev *prev;

	g_mutex_lock(&self->delta_lock);
	if (self->cycle != *serial) {
		g_hash_table_iter_init(&iter, self->delta_prev);
		while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&prev)) {
			if (prev->seen != self->cycle)
				g_hash_table_iter_remove(&iter);
		}
		self->cycle = *serial;
	}
	g_mutex_unlock(&self->delta_lock);
	return *serial;
}

/* the meter's place in the table, G_MAXUINT for one of a test's own */
static guint
pd_compute_pollster_meter_index(PdComputePollster *self)
{
	guint n;
	const PdComputeMeter *table = pd_compute_meter_table(&n);

	for (guint i = 0; i < n; i++) {
		if (&table[i] == self->meter)
			return i;
	}
	return G_MAXUINT;
}

static gboolean
pd_compute_pollster_poll(PdPollster *pollster,
			 PdPollContext *ctx,
			 GPtrArray *resources,
			 GCancellable *cancellable,
			 GError **error)
{
	PdComputePollster *self = PD_COMPUTE_POLLSTER(pollster);
	PdComputeStats *stats = NULL;
	PdComputeStatsWindow w = { NULL };
	gboolean ok = TRUE;
	PdCeilometerRelease release;
	const PdComputeMeter *meter;

	pd_config_get_ceilometer_compat(pd_poll_context_get_config(ctx), &release, NULL);
	meter = pd_compute_meters_for_release(self->meter, release);
	PdComputePoll p = { self, meter,
			    ctx,  NULL,
			    NULL, NULL,
			    0,	  pd_compute_unit(meter->unit, pd_poll_context_get_config(ctx)),
			    NULL };
	g_autoptr(GString) rid = g_string_sized_new(128);

	if (meter->group != 0) {
		const gchar *source = pd_poll_context_get_source_name(ctx);
		/* the next cycle of this source fetches our group with the others */
		pd_compute_pool_add_groups(self->pool, source, meter->group);
		stats = pd_compute_stats_get(pd_poll_context_get_cache(ctx),
					     self->pool,
					     self->use_bulk,
					     resources,
					     meter->group,
					     pd_compute_pool_get_groups(self->pool, source),
					     error);
		if (stats == NULL)
			return FALSE;
		pd_compute_stats_window_init(
		  &w, stats, source, pd_compute_pollster_meter_index(self), meter->group);
	}
	p.rid = rid;
	if (meter->kind == PD_COMPUTE_VALUE_NET_DELTA)
		p.cycle = pd_compute_pollster_enter_cycle(self, ctx);
	for (guint i = 0; i < resources->len; i++) {
		if (g_cancellable_set_error_if_cancelled(cancellable, error)) {
			ok = FALSE;
			break;
		}
		/* the records of the next few domains under one lock */
		if (stats != NULL && i % PD_COMPUTE_STATS_WINDOW == 0)
			pd_compute_stats_window_take(&w, resources, i);
		p.res = g_ptr_array_index(resources, i);
		p.cd = pd_resource_get_data(p.res);
		p.ds = NULL;
		pd_compute_poll_one(&p, &w, i % PD_COMPUTE_STATS_WINDOW);
	}
	if (stats != NULL)
		pd_compute_stats_window_clear(&w);
	return ok;
}

void
pd_compute_pollster_set_use_bulk(PdComputePollster *self, gboolean use_bulk)
{
	self->use_bulk = use_bulk;
}

guint
pd_compute_pollster_get_delta_size(PdComputePollster *self)
{
	guint n;

	g_mutex_lock(&self->delta_lock);
	n = g_hash_table_size(self->delta_prev);
	g_mutex_unlock(&self->delta_lock);
	return n;
}

PdPollster *
pd_compute_pollster_new(const PdComputeMeter *meter, PdComputePool *pool)
{
	PdComputePollster *self = g_object_new(PD_TYPE_COMPUTE_POLLSTER,
					       "name",
					       meter->name,
					       "namespace",
					       "compute",
					       "default-discovery",
					       "local_instances",
					       "unit",
					       meter->unit,
					       "sample-type",
					       (gint)meter->type,
					       NULL);
	self->meter = meter;
	self->pool = g_object_ref(pool);
	return PD_POLLSTER(self);
}

/* what GetPollsters shows: the unit its samples carry */
static const gchar *
pd_compute_pollster_get_unit_for(PdPollster *pollster, PdConfig *config)
{
	return pd_compute_unit(PD_COMPUTE_POLLSTER(pollster)->meter->unit, config);
}

static void
pd_compute_pollster_finalize(GObject *obj)
{
	PdComputePollster *self = PD_COMPUTE_POLLSTER(obj);

	g_clear_object(&self->pool);
	g_hash_table_unref(self->delta_prev);
	g_mutex_clear(&self->delta_lock);
	G_OBJECT_CLASS(pd_compute_pollster_parent_class)->finalize(obj);
}

static void
pd_compute_pollster_init(PdComputePollster *self)
{
	g_mutex_init(&self->delta_lock);
	self->delta_prev = g_hash_table_new_full(
	  pd_compute_delta_hash, pd_compute_delta_equal, pd_compute_delta_free, NULL);
	self->use_bulk = TRUE;
}

static void
pd_compute_pollster_class_init(PdComputePollsterClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = pd_compute_pollster_finalize;
	PD_POLLSTER_CLASS(klass)->poll = pd_compute_pollster_poll;
	PD_POLLSTER_CLASS(klass)->get_unit_for = pd_compute_pollster_get_unit_for;
}
