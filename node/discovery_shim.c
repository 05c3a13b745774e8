/*
 * discovery_shim: lets avahi-client and avahi-core live in one process.
 *
 * Both libraries export a function named avahi_entry_group_free:
 * avahi-client's public one, int (AvahiEntryGroup *), and an internal one
 * of avahi-core, void (AvahiServer *, AvahiSEntryGroup *), which core's
 * own cleanup calls through its PLT. The dynamic linker binds every call
 * of that name, from either library, to one definition, so without help
 * one library ends up in the other's function (and crashes). The
 * executable is searched first, so this file defines the name itself and
 * sends each call to the right library: a call whose first argument is an
 * embedded server that discovery_embedded.c has running came from
 * avahi-core; any other came from avahi-client. Both implementations are
 * found by their library's handle (dlsym), never by name in the global
 * scope.
 *
 * The definition takes two pointer arguments; avahi-client's callers pass
 * one, and the second register is then never read. CMakeLists.txt exports
 * the symbol from the executable (--export-dynamic-symbol), and
 * discovery_shim_ready checks at run time that this definition is the one
 * the libraries see, so the embedded stack is refused, not crashed, if a
 * build ever gets this wrong. No other file may include avahi-client's
 * publish.h beside this definition, hence the file of its own.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>

#include "discovery_shim.h"

#define SHIM_SERVERS_MAX 4

int avahi_entry_group_free(void *a, void *b);

typedef int (*client_free_fn)(void *g);
typedef void (*core_free_fn)(void *s, void *g);

static client_free_fn client_impl;
static core_free_fn core_impl;
static void *servers[SHIM_SERVERS_MAX];

int avahi_entry_group_free(void *a, void *b)
{
	size_t i;

	for (i = 0; i < SHIM_SERVERS_MAX; i++) {
		if (a && servers[i] == a) {
			if (core_impl)
				core_impl(a, b);
			return 0;
		}
	}
	/* discovery_shim_ready ran before any group existed; without it
	 * there is no client group to free either */
	return client_impl ? client_impl(a) : -1;
}

/* The library holding fn, as a handle (it is loaded already). */
static void *library_of(void *fn)
{
	Dl_info info;

	if (!dladdr(fn, &info) || !info.dli_fname)
		return NULL;
	return dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
}

/*
 * Finds both implementations from a function of each library (e.g.
 * avahi_client_new, avahi_server_new). Returns SHIM_CLIENT if avahi-client's
 * groups can be freed (its implementation was found), plus SHIM_CORE if
 * avahi-core's own calls reach it too (this definition is the global one):
 * only then may an embedded stack run.
 */
int discovery_shim_ready(void *client_fn, void *core_fn)
{
	void *hc, *hk;
	int ok;

	hc = library_of(client_fn);
	hk = library_of(core_fn);
	if (hc)
		client_impl = (client_free_fn)dlsym(hc, "avahi_entry_group_free");
	if (hk)
		core_impl = (core_free_fn)dlsym(hk, "avahi_entry_group_free");
	/* the handles only added a reference to loaded libraries */
	if (hc)
		dlclose(hc);
	if (hk)
		dlclose(hk);
	/* this file's own calls need client_impl either way; the libraries'
	 * calls reach this definition only if it is the global one */
	ok = client_impl ? SHIM_CLIENT : 0;
	if (client_impl && core_impl &&
	    (void *)client_impl != (void *)core_impl &&
	    dlsym(RTLD_DEFAULT, "avahi_entry_group_free") ==
		    (void *)avahi_entry_group_free)
		ok |= SHIM_CORE;
	return ok;
}

/* Marks server as an embedded stack that is running (1) or freed (0). */
void discovery_shim_server(void *server, int running)
{
	size_t i;

	if (running) {
		for (i = 0; i < SHIM_SERVERS_MAX; i++)
			if (servers[i] == server)
				return;
	}
	for (i = 0; i < SHIM_SERVERS_MAX; i++) {
		if (running && !servers[i]) {
			servers[i] = server;
			return;
		}
		if (!running && servers[i] == server) {
			servers[i] = NULL;
			return;
		}
	}
}
