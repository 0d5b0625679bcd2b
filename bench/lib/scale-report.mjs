// The markdown of one scale scenario result (bench/results/scale-<date>.json).
import { fmt } from './stats.mjs';

/** @param {{ date: string, finished: string, revision: string, result: object }} data */
export function scaleSection(data, fileName) {
  const r = data.result;
  const p = r.plan;
  const e = r.echo;
  const minutes = (Date.parse(data.finished) - Date.parse(data.date)) / 60_000;
  const rows = [
    [
      'WebSockets open at once',
      `${fmt(r.opened)} of ${fmt(p.connections)}${r.failed ? ` (${fmt(r.failed)} failed: ${r.firstError})` : ''}`,
    ],
    [
      'sessions Mooring counted (`mooring_websocket_connections`)',
      r.sessionsSeen === undefined
        ? '–'
        : `${fmt(r.sessionsSeen)}${r.scrapeWorkerTimeouts ? ` (workers that missed a scrape's 1 s deadline so far: ${fmt(r.scrapeWorkerTimeouts)})` : ''}`,
    ],
    ['time to open them all', `${fmt(r.openSeconds)} s (${fmt(r.opensPerSecond)} handshakes/s)`],
    ['Mooring RSS, all processes: before → with them open', `${fmt(r.rssBeforeMiB)} MiB → ${fmt(r.rssAfterMiB)} MiB`],
    ['of which the primary', `${fmt(r.primaryRssBeforeMiB)} MiB → ${fmt(r.primaryRssAfterMiB)} MiB`],
    ['**RSS per connection**', `**${fmt(r.kibPerConnection)} KiB**`],
    [
      `echo under that load (${fmt(e.ratePerSecond)} messages/s over all the sockets in turn, ${e.seconds} s)`,
      `${fmt(e.roundTrips)} round trips, ${fmt(e.errors)} lost or unanswered`,
    ],
    [
      'echo round trip p50 / **p99** / p99.9 / max',
      `${fmt(e.p50Ms)} / **${fmt(e.p99Ms)}** / ${fmt(e.p999Ms)} / ${fmt(e.maxMs)} ms`,
    ],
    ['Mooring CPU per echo under that load', `${fmt(e.proxyCpuMicrosPerEcho)} µs`],
    [
      `packets the host dropped from its backlog while opening and echoing (\`netdev_max_backlog\` ${r.host?.netdevMaxBacklog === undefined ? '–' : fmt(r.host.netdevMaxBacklog)})`,
      r.host?.backlogDrops === undefined ? '– (not recorded)' : fmt(r.host.backlogDrops),
    ],
  ];
  return [
    `${data.date.slice(0, 10)}, git ${data.revision}, \`bench/results/${fileName}\`; the whole run took ${fmt(minutes, 2)} min.`,
    `One Mooring node with ${p.workers} workers (\`--scheduling rr\`, defaults otherwise: frame tracking and metrics on), ${p.backends} echo backend processes (one backend each, least-connections), ${p.clients} client processes with source addresses 127.<1+i>.0.1–4: sized for an open-file limit of ${fmt(p.nofile)} per process.`,
    '',
    '| | |',
    '| --- | --- |',
    ...rows.map(([what, value]) => `| ${what} | ${value} |`),
  ].join('\n');
}
