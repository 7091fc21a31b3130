/**
 * Demo step 4: the marketplace. Tenant `acme` registers the publisher `acme-tools` and lists its
 * approved `SendSlackMessage@1.0.0`; a platform admin publishes it; tenant `globex` finds it,
 * installs it (by reference, pinned), runs it in a tree in its own sandbox with its own
 * capabilities, and reviews it. Re-running is safe: every step is idempotent (the review is
 * updated).
 *
 * @module
 */
import type { PluginHost } from '../../src/index.js';
import type { DemoBtree } from './btree.js';
import { describeFailure } from './custom-nodes-step.js';
import { say, show } from './print.js';

const PUBLISHER = { tenantId: 'acme', userId: 'ada' };
const INSTALLER = { tenantId: 'globex', userId: 'gus' };
const ADMIN = 'platform-admin';
const LISTING = 'acme-tools.SendSlackMessage';
const TREE = ['type: SendSlackMessage', 'id: hello', 'props:', '  channel: "#globex-ops"', '  message: "Installed from the marketplace"', ''].join('\n');

/** Runs the marketplace step; throws when the installed node does not run. */
export async function marketplaceStep(host: PluginHost, btree: DemoBtree): Promise<void> {
  const m = host.marketplace;
  const publisher = await m.registerPublisher(PUBLISHER, { slug: 'acme-tools', displayName: 'Acme Tools' });
  show('publisher', `${publisher.slug} (${publisher.displayName}) for tenant ${publisher.tenantId}, ${publisher.supportLevel}`);
  const lookAlike = await m.registerPublisher({ tenantId: 'hooli', userId: 'h' }, { slug: 'acmetools', displayName: 'ACME Tооls' }).catch((e: unknown) => e);
  show('look-alike "acmetools" / "ACME Tооls"', lookAlike instanceof Error ? `refused: ${lookAlike.message.split('. HINT')[0]}` : 'accepted (unexpected)');

  const listed = await m.listVersion(PUBLISHER, { source: 'SendSlackMessage@1.0.0', category: 'messaging', description: 'Posts a templated message to a Slack channel' });
  show('listed', `${listed.id}: ${listed.versions.map((v) => `${v.version} ${v.state}`).join(', ')}`);
  await m.publishVersion(LISTING, '1.0.0', ADMIN);
  const found = await m.search({ q: 'slack', sort: 'rating' }, { tenantId: INSTALLER.tenantId });
  show(`search "slack" as ${INSTALLER.tenantId}`, found.listings.map((l) => `${l.id}@${l.latestVersion} by ${l.publisher.displayName}`).join(', '));

  const install = await m.install(INSTALLER, LISTING);
  show(`install into ${INSTALLER.tenantId}`, `${install.as} pinned to ${install.version}`);
  const registry = new btree.Registry();
  btree.registerStandardNodes(registry);
  const registered = await host.registerNodes(registry, INSTALLER.tenantId, { yaml: TREE });
  show(`registerNodes for ${INSTALLER.tenantId}`, registered.registered.map((r) => `${r.type} (${r.version})`).join(', '));
  const root = btree.loadTreeFromYaml(TREE, registry);
  const result = await new btree.BehaviorTree(root).toWorkflow()({ input: {}, treeRegistry: registry });
  show('status', result.status);
  if (result.status !== 'SUCCESS') throw new Error(`the installed node ended ${result.status}: ${describeFailure(root)}`);

  await m.review(INSTALLER, LISTING, { rating: 5, body: 'Worked the first time.' });
  const listing = await m.listing(LISTING, { tenantId: INSTALLER.tenantId });
  show('listing', { installCount: listing.installCount, ratingCount: listing.ratingCount, ratingAverage: listing.ratingAverage });
  say('  (the rating average is Bayesian: one 5-star review counts as 3.33 until more reviews come in)');
}
