/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "PdResource"

#include "config.h"

#include "pd-resource.h"

struct _PdResource {
	gint ref_count;
	gpointer data;
	GDestroyNotify destroy;
	const gchar *id; /* own_id, or the data's (pd_resource_new_borrowed()) */
	gchar own_id[];	 /* one allocation per resource */
};

PdResource *
pd_resource_new(const gchar *id, gpointer data, GDestroyNotify destroy)
{
	gsize len;
	PdResource *res;

	g_return_val_if_fail(id != NULL, NULL);
	len = strlen(id);
	res = g_malloc(sizeof(PdResource) + len + 1);
	res->ref_count = 1;
	res->data = data;
	res->destroy = destroy;
	memcpy(res->own_id, id, len + 1);
	res->id = res->own_id;
	return res;
}

PdResource *
pd_resource_new_borrowed(const gchar *id, gpointer data, GDestroyNotify destroy)
{
	PdResource *res;

	g_return_val_if_fail(id != NULL, NULL);
	res = g_malloc(sizeof(PdResource));
	res->ref_count = 1;
	res->data = data;
	res->destroy = destroy;
	res->id = id;
	return res;
}

PdResource *
pd_resource_ref(PdResource *res)
{
	g_return_val_if_fail(res != NULL, NULL);
	g_atomic_int_inc(&res->ref_count);
	return res;
}

void
pd_resource_unref(PdResource *res)
{
	if (res == NULL)
		return;
	if (!g_atomic_int_dec_and_test(&res->ref_count))
		return;
	if (res->destroy != NULL)
		res->destroy(res->data);
	g_free(res);
}

const gchar *
pd_resource_get_id(PdResource *res)
{
	return res->id;
}

gpointer
pd_resource_get_data(PdResource *res)
{
	return res->data;
}
