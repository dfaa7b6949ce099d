/*
 * one small plugin, built several times with different defines, to test
 * what the loader accepts and refuses
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gmodule.h>

#include "polld.h"

#define PD_TYPE_ABI_PLUGIN (pd_abi_plugin_get_type())
G_DECLARE_FINAL_TYPE(PdAbiPlugin, pd_abi_plugin, PD, ABI_PLUGIN, PdPlugin)
struct _PdAbiPlugin {
	PdPlugin parent_instance;
};
G_DEFINE_TYPE(PdAbiPlugin, pd_abi_plugin, PD_TYPE_PLUGIN)

static void
pd_abi_plugin_constructed(GObject *obj)
{
	g_autoptr(PdPollster) p =
	  g_object_new(PD_TYPE_POLLSTER, "name", "abi.meter", "namespace", "abi", NULL);
	G_OBJECT_CLASS(pd_abi_plugin_parent_class)->constructed(obj);
	pd_plugin_add_pollster(PD_PLUGIN(obj), p);
}

static void
pd_abi_plugin_init(PdAbiPlugin *self)
{
}

static void
pd_abi_plugin_class_init(PdAbiPluginClass *klass)
{
	G_OBJECT_CLASS(klass)->constructed = pd_abi_plugin_constructed;
}

#ifndef PD_TEST_NO_SYMBOL
#ifdef PD_TEST_WRONG_TYPE
#define PD_TEST_TYPE_FUNC g_object_get_type
#else
#define PD_TEST_TYPE_FUNC pd_abi_plugin_get_type
#endif
G_MODULE_EXPORT const PdPluginInfo *
pd_plugin_get_info(void);
G_MODULE_EXPORT const PdPluginInfo *
pd_plugin_get_info(void)
{
	static const PdPluginInfo info = {
		PD_TEST_ABI_MAJOR, PD_TEST_ABI_MINOR, PD_TEST_NAME, PD_TEST_TYPE_FUNC
	};
	return &info;
}
#else
/* exports something, just not the entry point */
G_MODULE_EXPORT int
pd_plugin_get_inf0(void);
G_MODULE_EXPORT int
pd_plugin_get_inf0(void)
{
	return 0;
}
#endif
