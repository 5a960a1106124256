// bench/sync/syncbench.mjs - carelog sync against the plain git CLI and
// PouchDB replication, in one run, on the same generated chart. A program,
// not a test: nothing is asserted; targets are printed next to the figures.
// bench/sync/run.sh builds carelog and installs the peers, then runs this.
// What each row measures: bench/README.md, "Sync benchmark".
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const HERE = path.dirname(new URL(import.meta.url).pathname);

// ---- options ---------------------------------------------------------------

const opts = {
	records: 100000, seed: 1, noopRuns: 5, carelog: null, fixtures: null,
	tmpdir: process.env.TMPDIR || '/tmp', keep: false, json: false, pouchdb: true,
};
const USAGE = `usage: node syncbench.mjs --carelog PATH --fixtures PATH [--records N] [--seed N]
       [--noop-runs N] [--tmpdir DIR] [--keep] [--json] [--no-pouchdb]`;
for (let i = 2; i < process.argv.length; i++) {
	const a = process.argv[i], v = () => {
		if (i + 1 >= process.argv.length)
			usage(`${a} needs a value`);
		return process.argv[++i];
	};
	if (a === '--records') opts.records = int(v(), a, 100);
	else if (a === '--seed') opts.seed = int(v(), a, 0);
	else if (a === '--noop-runs') opts.noopRuns = int(v(), a, 1);
	else if (a === '--carelog') opts.carelog = path.resolve(v());
	else if (a === '--fixtures') opts.fixtures = path.resolve(v());
	else if (a === '--tmpdir') opts.tmpdir = v();
	else if (a === '--keep') opts.keep = true;
	else if (a === '--json') opts.json = true;
	else if (a === '--no-pouchdb') opts.pouchdb = false;
	else if (a === '--help' || a === '-h') { process.stdout.write(USAGE + '\n'); process.exit(0); }
	else usage(`unknown option ${a}`);
}
if (!opts.carelog || !opts.fixtures)
	usage('--carelog and --fixtures are required (bench/sync/run.sh passes them)');

function usage(msg) {
	process.stderr.write(`syncbench: ${msg}\n${USAGE}\n`);
	process.exit(2);
}

function int(s, name, min) {
	if (!/^\d+$/.test(s) || Number(s) < min)
		usage(`${name} takes a whole number >= ${min}`);
	return Number(s);
}

// ---- small helpers -----------------------------------------------------------

const t0 = Date.now();
function log(msg) {
	process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${msg}\n`);
}

// git and carelog see no system or global git configuration
const ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', LC_ALL: 'C' };
const GITC = ['-c', 'user.name=Bench', '-c', 'user.email=bench@localhost', '-c', 'gc.auto=0'];

// Runs a command to its end. Resolves to { out, err, secs, rssMB }: wall time
// from spawn to exit, and the peak RSS of the process and every child it
// waited for (GNU time's %M, ru_maxrss of wait4). Rejects on a non-zero exit.
function run(cmd, args, { cwd, input, okCodes = [0] } = {}) {
	const rssFile = path.join(scratch, `.rss.${process.pid}.${runSeq++}`);
	return new Promise((resolve, reject) => {
		const start = process.hrtime.bigint();
		const p = spawn('/usr/bin/time', ['-f', '%M', '-o', rssFile, cmd, ...args], { cwd, env: ENV });
		const out = [], err = [];
		p.stdout.on('data', (d) => out.push(d));
		p.stderr.on('data', (d) => err.push(d));
		p.on('error', reject);
		p.on('close', (code) => {
			const secs = Number(process.hrtime.bigint() - start) / 1e9;
			let rssMB = NaN;
			try {
				const lines = fs.readFileSync(rssFile, 'utf8').trim().split('\n');
				rssMB = Number(lines[lines.length - 1]) / 1024;
				fs.rmSync(rssFile);
			} catch { /* time wrote nothing: the command was not run */ }
			const r = { raw: Buffer.concat(out), out: Buffer.concat(out).toString(), err: Buffer.concat(err).toString(), secs, rssMB, code };
			if (okCodes.includes(code))
				resolve(r);
			else
				reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}\n${r.err.slice(-2000)}`));
		});
		if (input !== undefined)
			p.stdin.end(input);
		else
			p.stdin.end();
	});
}
let runSeq = 0;

const carelog = (store, ...args) => run(opts.carelog, ['--store', store, ...args]);
const git = (dir, ...args) => run('git', ['-C', dir, ...GITC, ...args]);
const gitIn = (dir, input, ...args) => run('git', ['-C', dir, ...GITC, ...args], { input });
const pouch = (...args) => run(process.execPath, [path.join(HERE, 'pouch.mjs'), ...args]);

function freePort() {
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.on('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
	});
}

async function waitPort(port) {
	for (let i = 0; i < 200; i++) {
		const ok = await new Promise((resolve) => {
			const c = net.connect(port, '127.0.0.1', () => { c.destroy(); resolve(true); });
			c.on('error', () => resolve(false));
		});
		if (ok)
			return;
		await new Promise((r) => setTimeout(r, 50));
	}
	throw new Error(`nothing listens on 127.0.0.1:${port}`);
}

// A TCP relay on loopback that counts the bytes it carries each way: the
// bytes on the wire between a client and its server (git daemon, PouchDB's
// HTTP server), whatever the client reports about itself.
const wire = { up: 0, down: 0 };
function relay(targetPort) {
	return new Promise((resolve) => {
		const srv = net.createServer((c) => {
			const s = net.connect(targetPort, '127.0.0.1');
			c.setNoDelay(true);
			s.setNoDelay(true);
			c.on('data', (d) => { wire.up += d.length; });
			s.on('data', (d) => { wire.down += d.length; });
			c.pipe(s);
			s.pipe(c);
			c.on('error', () => s.destroy());
			s.on('error', () => c.destroy());
		});
		srv.listen(0, '127.0.0.1', () => resolve(srv));
	});
}

// Runs steps one after the other; the figure is their total time, the
// largest peak RSS and the bytes the relays carried meanwhile.
async function measure(steps) {
	wire.up = wire.down = 0;
	const m = { secs: 0, rssMB: 0, up: 0, down: 0, outs: [], steps: [] };
	for (const step of steps) {
		const before = wire.up + wire.down;
		const r = await step();
		m.steps.push({ secs: r.secs, bytes: wire.up + wire.down - before });
		m.secs += r.secs;
		m.rssMB = Math.max(m.rssMB, r.rssMB);
		m.outs.push(r.out);
	}
	m.up = wire.up;
	m.down = wire.down;
	m.bytes = m.up + m.down;
	return m;
}

function median(xs) {
	const s = [...xs].sort((a, b) => a - b);
	return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

// mulberry32: the edits are the same for a seed
function rng(seed) {
	let a = (seed ^ 0x5eed5) >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

// ---- the same edits for every system ----------------------------------------

// Per side, 1% of the records: half amend an existing record (its note), half
// are new records; a tenth of each side's edits amend the same records as the
// other side's (those conflict).
function planEdits(lines, extra) {
	const perSide = Math.max(2, Math.round(opts.records / 100));
	const amends = Math.floor(perSide / 2), adds = Math.min(perSide - amends, Math.floor(extra.length / 2));
	const overlap = Math.min(amends, Math.round(perSide / 10));
	const rand = rng(opts.seed);
	// a record may have several versions in the lines: its last one decides
	// (one entered-in-error cannot be amended)
	const last = new Map();
	for (const l of lines)
		last.set(l.id, l);
	const eligible = [...last.values()].filter((l) => ['dose', 'symptom', 'measurement', 'note'].includes(l.kind) &&
		l.status !== 'entered-in-error').map((l) => l.id);
	const picked = new Set(), order = [];
	while (order.length < Math.min(2 * amends - overlap, eligible.length)) {
		const id = eligible[Math.floor(rand() * eligible.length)];
		if (!picked.has(id)) {
			picked.add(id);
			order.push(id);
		}
	}
	const shared = order.slice(0, overlap);
	const onlyA = order.slice(overlap, amends), onlyB = order.slice(amends);
	const side = (name, only, add) => ({
		name,
		amend: [...shared, ...only].map((id, i) => [id, `bench edit ${i} on phone ${name}`]),
		add,
	});
	return {
		perSide, amends, adds, overlap,
		A: side('A', onlyA, extra.slice(0, adds)),
		B: side('B', onlyB, extra.slice(adds, 2 * adds)),
	};
}

// The lines after the chart's that either phone can add on its own: events
// (not plans, patients or caregivers) whose id is new and appears once, and
// whose other ids (a dose's plan) name records already in the chart.
function newRecords(chart, more) {
	const known = new Set(chart.map((r) => r.id)), seen = new Map();
	for (const r of more)
		seen.set(r.id, (seen.get(r.id) || 0) + 1);
	const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
	return more.filter((r) => ['dose', 'symptom', 'measurement', 'note'].includes(r.kind) && !known.has(r.id) &&
		seen.get(r.id) === 1 && Object.entries(r).every(([k, v]) => k === 'id' || k === 'patient' ||
			typeof v !== 'string' || !ID.test(v) || known.has(v)));
}

// The git side gets the same edits as file changes, one commit per carelog
// commit, with the same file contents: every commit a phone's chart gained
// since `base` is written into the clone by `git fast-import` (one process
// for all of them; `git add` + `git commit` per edit costs ~0.7 s each on a
// 100,000-file index), then the work tree is brought up to date.
async function replayAsGitCommits(chart, base, clone, who) {
	const logged = await run('git', ['--git-dir', chart, 'log', '--reverse', '--no-merges', '--format=C %H %ct',
		'--raw', '--no-abbrev', `${base}..main`]);
	const commits = [];
	for (const line of logged.out.split('\n')) {
		if (line.startsWith('C '))
			commits.push({ time: line.split(' ')[2], files: [] });
		else if (line.startsWith(':')) {
			const [meta, file] = line.split('\t');
			commits[commits.length - 1].files.push({ blob: meta.split(' ')[3], file });
		}
	}
	const blobs = [...new Set(commits.flatMap((c) => c.files.map((f) => f.blob)))];
	const cat = await run('git', ['--git-dir', chart, 'cat-file', '--batch'], { input: blobs.join('\n') + '\n' });
	const raw = cat.raw, content = new Map();
	for (let off = 0; off < raw.length;) {
		const nl = raw.indexOf(10, off);
		const [sha, , size] = raw.subarray(off, nl).toString().split(' ');
		content.set(sha, raw.subarray(nl + 1, nl + 1 + Number(size)));
		off = nl + 1 + Number(size) + 1;
	}
	const head = (await git(clone, 'rev-parse', 'HEAD')).out.trim();
	const parts = [];
	const data = (buf) => parts.push(Buffer.from(`data ${buf.length}\n`), buf, Buffer.from('\n'));
	commits.forEach((c, i) => {
		parts.push(Buffer.from(`commit refs/heads/main\ncommitter ${who} <${who}@localhost> ${c.time} +0000\n`));
		data(Buffer.from(`edit ${i + 1} on ${who}`));
		if (i === 0)
			parts.push(Buffer.from(`from ${head}\n`));
		for (const f of c.files) {
			parts.push(Buffer.from(`M 100644 inline ${f.file}\n`));
			data(content.get(f.blob));
		}
	});
	await gitIn(clone, Buffer.concat(parts), 'fast-import', '--quiet');
	await git(clone, 'reset', '-q', '--hard');
	return commits.length;
}

// ---- the run ----------------------------------------------------------------

let scratch = null;
const children = [];

async function main() {
	scratch = fs.mkdtempSync(path.join(opts.tmpdir, 'carelog-syncbench.'));
	const loadStart = os.loadavg()[0];
	log(`scratch directory ${scratch}`);
	const S = (...p) => path.join(scratch, ...p);

	// the chart's records, then the new records the phones will add
	const perSide = Math.max(2, Math.round(opts.records / 100));
	const adds = perSide - Math.floor(perSide / 2);
	await run(opts.fixtures, ['--seed', String(opts.seed), '--records', String(opts.records + 4 * adds),
		'--patients', '1', '--out', S('all.jsonl')]);
	const all = fs.readFileSync(S('all.jsonl'), 'utf8').split('\n').filter((l) => l.trim());
	const base = all.slice(0, opts.records);
	fs.writeFileSync(S('chart.jsonl'), base.join('\n') + '\n');
	const parsed = base.map((l) => JSON.parse(l));
	const patient = parsed.find((r) => r.kind === 'patient').id;
	const edits = planEdits(parsed, newRecords(parsed, all.slice(opts.records).map((l) => JSON.parse(l))));
	for (const s of [edits.A, edits.B]) {
		fs.writeFileSync(S(`edits-${s.name}.json`), JSON.stringify(s));
		fs.writeFileSync(S(`new-${s.name}.jsonl`), s.add.map((r) => JSON.stringify(r)).join('\n') + '\n');
	}
	log(`${opts.records} records for patient ${patient}; per side ${edits.amends} amends + ${edits.adds} new,` +
		` ${edits.overlap} amends on both sides`);

	// the clinic: a carelog clinic store (charts refuse bad pushes) and, for
	// the git peer's pushes, a plain bare copy of the same chart
	const chartRel = `clinic/charts/${patient}.git`;
	await carelog(S('clinic'), 'init', '--role', 'clinic', '--device', 'clinic', '--author', 'Clinic');
	log('clinic store: importing the chart');
	await carelog(S('clinic'), 'import', S('chart.jsonl'));
	await run('git', ['clone', '-q', '--bare', '--no-hardlinks', S(chartRel), S('gitserve', `${patient}.git`)]);
	const chartStats = (await run('git', ['--git-dir', S(chartRel), 'count-objects', '-v'])).out;
	const commitsInChart = (await run('git', ['--git-dir', S(chartRel), 'rev-list', '--count', 'main'])).out.trim();

	const daemonPort = await freePort();
	// git daemon, and a counting relay in front of it. The generator writes
	// a record every few hours from 2025-01-06 on, so a 100,000-record chart
	// runs into the 2070s, and a clinic's hook refuses versions stamped
	// ahead of its clock (sync/src/clock.c): the server, with the hooks it
	// runs, is started that far in the future (libfaketime), so that the
	// synthetic chart lies in its past. The phones keep the real time.
	const lastMs = all.reduce((m, l) => Math.max(m, Date.parse(JSON.parse(l).hlc.slice(0, 24))), 0);
	const aheadDays = Math.max(0, Math.ceil((lastMs - Date.now()) / 86400000) + 1);
	const daemonArgs = ['daemon', '--reuseaddr', '--listen=127.0.0.1', `--port=${daemonPort}`,
		`--base-path=${scratch}`, '--export-all', '--enable=receive-pack', scratch];
	const daemon = spawn(aheadDays ? 'faketime' : 'git', aheadDays ? ['-f', `+${aheadDays}d`, 'git', ...daemonArgs] : daemonArgs,
		{ env: ENV, stdio: ['ignore', 'ignore', fs.openSync(S('daemon.log'), 'w')] });
	if (aheadDays)
		log(`the chart's last record is dated ${new Date(lastMs).toISOString()}: git daemon runs ${aheadDays} days ahead`);
	children.push(daemon);
	await waitPort(daemonPort);
	const gitRelay = await relay(daemonPort);
	const GURL = `git://127.0.0.1:${gitRelay.address().port}`;
	log(`git daemon on 127.0.0.1:${daemonPort}, relay ${GURL}`);

	let PURL = null;
	if (opts.pouchdb) {
		log('PouchDB server database: loading the chart as documents');
		fs.mkdirSync(S('pouchserve'));
		await pouch('load', S('pouchserve', 'chart'), S('chart.jsonl'));
		const srv = spawn(process.execPath, [path.join(HERE, 'pouch.mjs'), 'serve', S('pouchserve')],
			{ cwd: S('pouchserve'), env: ENV, stdio: ['ignore', 'pipe', fs.openSync(S('pouchserve.log'), 'w')] });
		children.push(srv);
		const port = await new Promise((resolve, reject) => {
			let buf = '';
			srv.stdout.on('data', (d) => {
				buf += d;
				if (buf.includes('\n'))
					resolve(JSON.parse(buf.split('\n')[0]).port);
			});
			srv.on('exit', (c) => reject(new Error(`PouchDB server exited (${c}); see ${S('pouchserve.log')}`)));
		});
		const pRelay = await relay(port);
		PURL = `http://127.0.0.1:${pRelay.address().port}/chart`;
		log(`PouchDB server on 127.0.0.1:${port}, relay ${PURL}`);
	}

	const R = { carelog: {}, git: {}, pouchdb: {}, gitBare: {} };
	const notes = [];

	// ---- initial clone: two each (phones A and B), interleaved; the faster counts
	for (const ph of ['A', 'B']) {
		await carelog(S(`carelog-${ph}`), 'init', '--device', `phone-${ph}`, '--author', `Parent ${ph}`);
		await carelog(S(`carelog-${ph}`), 'remote', 'add', 'clinic', `${GURL}/clinic/charts`);
	}
	const clones = { carelog: [], git: [], pouchdb: [] };
	for (const ph of ['A', 'B']) {
		log(`initial clone, phone ${ph}: git clone`);
		clones.git.push(await measure([() => run('git', [...GITC, 'clone', '-q', `${GURL}/${chartRel}`,
			S(`git-${ph}`)])]));
		log(`initial clone, phone ${ph}: carelog sync --patient`);
		clones.carelog.push(await measure([() => carelog(S(`carelog-${ph}`), 'sync', 'clinic', '--patient',
			patient, '--json')]));
		if (opts.pouchdb) {
			log(`initial clone, phone ${ph}: PouchDB replication`);
			clones.pouchdb.push(await measure([() => pouch('replicate', PURL, S(`pouch-${ph}`))]));
		}
	}
	log('initial clone: git clone --bare');
	const bare = await measure([() => run('git', [...GITC, 'clone', '-q', '--bare', `${GURL}/${chartRel}`,
		S('git-bare.git')])]);
	for (const sys of ['carelog', 'git', 'pouchdb']) {
		const c = clones[sys];
		if (!c.length)
			continue;
		R[sys].cloneS = Math.min(...c.map((m) => m.secs));
		R[sys].cloneBytes = c[0].bytes;
		R[sys].cloneRss = Math.max(...c.map((m) => m.rssMB));
		R[sys].cloneTimes = c.map((m) => m.secs);
	}
	R.gitBare.cloneS = bare.secs;
	const cj = JSON.parse(clones.carelog[0].outs[0])[0];
	notes.push(`carelog clone received ${cj.received} records; PouchDB clone: ${clones.pouchdb.length ?
		clones.pouchdb[0].outs[0].trim() : 'not run'}`);

	// git's phones push to the plain bare copy (no carelog hook there)
	for (const ph of ['A', 'B'])
		await git(S(`git-${ph}`), 'remote', 'set-url', 'origin', `${GURL}/gitserve/${patient}.git`);

	// ---- the edits (untimed)
	for (const ph of ['A', 'B']) {
		const e = edits[ph], store = S(`carelog-${ph}`), chart = path.join(store, 'charts', `${patient}.git`);
		log(`edits on phone ${ph}: ${e.amend.length} carelog amend, carelog import of ${e.add.length} lines`);
		const before = (await run('git', ['--git-dir', chart, 'rev-parse', 'main'])).out.trim();
		for (const [id, note] of e.amend)
			await carelog(store, 'amend', id, '--set', `note=${note}`);
		await carelog(store, 'import', S(`new-${ph}.jsonl`));
		const n = await replayAsGitCommits(chart, before, S(`git-${ph}`), `phone${ph}`);
		log(`edits on phone ${ph}: the same ${n} commits written into git clone ${ph}`);
		if (opts.pouchdb)
			await pouch('edit', S(`pouch-${ph}`), S(`edits-${ph}.json`));
	}

	// ---- incremental sync: A sends, B sends and receives (merge), A receives
	log('incremental sync: carelog');
	const incC = await measure(['A', 'B', 'A'].map((ph) => () => carelog(S(`carelog-${ph}`), 'sync', 'clinic',
		'--json')));
	log('incremental sync: git');
	const incG = await measure([
		() => git(S('git-A'), 'push', '-q', 'origin', 'main'),
		() => git(S('git-B'), 'pull', '-q', '--no-rebase', '--no-edit', '-X', 'theirs', 'origin', 'main'),
		() => git(S('git-B'), 'push', '-q', 'origin', 'main'),
		() => git(S('git-A'), 'pull', '-q', '--no-rebase', '--no-edit', 'origin', 'main'),
	]);
	const incs = { carelog: incC, git: incG };
	if (opts.pouchdb) {
		log('incremental sync: PouchDB');
		incs.pouchdb = await measure(['A', 'B', 'A'].map((ph) => () => pouch('sync', PURL, S(`pouch-${ph}`))));
	}
	for (const [sys, m] of Object.entries(incs)) {
		R[sys].incS = m.secs;
		R[sys].incBytes = m.bytes;
		R[sys].incRss = m.rssMB;
	}
	const stepText = (m, names) => m.steps.map((st, i) => `${names[i]} ${st.secs.toFixed(2)} s` +
		` ${(st.bytes / MB).toFixed(2)} MB`).join(', ');
	notes.push(`incremental steps: carelog ${stepText(incC, ['A sync', 'B sync', 'A sync'])}`);
	notes.push(`incremental steps: git ${stepText(incG, ['A push', 'B pull', 'B push', 'A pull'])}`);
	if (incs.pouchdb)
		notes.push(`incremental steps: PouchDB ${stepText(incs.pouchdb, ['A sync', 'B sync', 'A sync'])}`);
	const cs = incC.outs.map((o) => JSON.parse(o)[0]);
	notes.push(`carelog incremental: A sent ${cs[0].sent}; B received ${cs[1].received}, sent ${cs[1].sent},` +
		` ${cs[1].conflicts} conflicts kept; A received ${cs[2].received}`);
	if (incs.pouchdb)
		notes.push(`PouchDB incremental: ${incs.pouchdb.outs.map((o) => o.trim()).join(' ')}`);

	// do the two phones of each system hold the same data afterwards?
	const treeOf = (dir) => run('git', ['--git-dir', dir, 'rev-parse', 'main^{tree}']).then((r) => r.out.trim());
	const cA = await treeOf(S('carelog-A', 'charts', `${patient}.git`));
	const cB = await treeOf(S('carelog-B', 'charts', `${patient}.git`));
	const cK = await treeOf(S(chartRel));
	const gA = await treeOf(S('git-A', '.git')), gB = await treeOf(S('git-B', '.git'));
	notes.push(`after the incremental sync: carelog trees ${cA === cB && cB === cK ? 'equal on A, B and the clinic' :
		'DIFFER'}; git trees ${gA === gB ? 'equal on A and B' : 'DIFFER'}`);

	// ---- no-op sync: nothing changed anywhere
	const noops = { carelog: [], git: [], pouchdb: [] };
	for (let i = 0; i < opts.noopRuns; i++) {
		noops.carelog.push(await measure([() => carelog(S('carelog-A'), 'sync', 'clinic', '--json')]));
		noops.git.push(await measure([
			() => git(S('git-A'), 'pull', '-q', '--no-rebase', '--no-edit', 'origin', 'main'),
			() => git(S('git-A'), 'push', '-q', 'origin', 'main'),
		]));
		if (opts.pouchdb)
			noops.pouchdb.push(await measure([() => pouch('sync', PURL, S('pouch-A'))]));
	}
	log(`no-op sync: ${opts.noopRuns} runs each`);
	for (const [sys, ms] of Object.entries(noops)) {
		if (!ms.length)
			continue;
		R[sys].noopS = median(ms.map((m) => m.secs));
		R[sys].noopBytes = median(ms.map((m) => m.bytes));
	}

	notes.push(`load average (1 min) ${loadStart.toFixed(2)} at the start, ${os.loadavg()[0].toFixed(2)} at the end,` +
		` on ${os.cpus().length} cores: other work on the machine stretches every time alike only if it is steady`);
	return { R, notes, edits, patient, commitsInChart, chartStats, clones };
}

// ---- the table ----------------------------------------------------------------

const MB = 1024 * 1024;
const ROWS = [
	['initial clone (s)', 'clone_s', (r) => r.cloneS, 'clone'],
	['initial clone, git --bare (s)', 'clone_bare_s', (r, sys, R) => sys === 'git' ? R.gitBare.cloneS :
		sys === 'carelog' ? r.cloneS : NaN, null],
	['initial clone bytes on the wire (MB)', 'clone_mb', (r) => r.cloneBytes / MB, null],
	['initial clone peak RSS (MB)', 'clone_rss_mb', (r) => r.cloneRss, 'rss'],
	['incremental sync (s)', 'incremental_s', (r) => r.incS, null],
	['incremental sync / own clone', 'incremental_per_clone', (r) => r.incS / r.cloneS, 'inc', 'noratio'],
	['incremental sync bytes on the wire (MB)', 'incremental_mb', (r) => r.incBytes / MB, 'incbytes'],
	['incremental sync peak RSS (MB)', 'incremental_rss_mb', (r) => r.incRss, 'rss'],
	['no-op sync (s)', 'noop_s', (r) => r.noopS, null],
	['no-op sync / own clone', 'noop_per_clone', (r) => r.noopS / r.cloneS, 'noop', 'noratio'],
	['no-op sync bytes on the wire (kB)', 'noop_kb', (r) => r.noopBytes / 1024, null],
];

function val(fn, R, sys) {
	const r = R[sys];
	if (!r || r.cloneS === undefined)
		return NaN;
	const v = fn(r, sys, R);
	return typeof v === 'number' ? v : NaN;
}

const ratio = (a, b) => (Number.isNaN(a) || Number.isNaN(b) || b === 0 ? NaN : a / b);
const fmtV = (v) => (Number.isNaN(v) ? '-' : Math.abs(v) >= 1000 ? v.toFixed(0) : Math.abs(v) >= 100 ? v.toFixed(1) :
	Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(4));
const fmtR = (v) => (Number.isNaN(v) ? '-' : v >= 100 ? `${v.toFixed(0)}x` : v >= 0.1 ? `${v.toFixed(2)}x` :
	`${v.toFixed(4)}x`);

function target(kind, c, g, p) {
	const mark = (ok) => (Number.isNaN(ok) ? '' : ok ? ': met' : ': MISSED');
	switch (kind) {
	case 'clone': {
		const rg = ratio(c, g), rp = ratio(c, p);
		return `<= 1.5x git${mark(Number.isNaN(rg) ? NaN : rg <= 1.5)}; <= 0.1x pouchdb` +
			`${mark(Number.isNaN(rp) ? NaN : rp <= 0.1)}`;
	}
	case 'rss': return `<= 64 MB${mark(Number.isNaN(c) ? NaN : c <= 64)}`;
	case 'inc': return `<= 0.05 (1/20)${mark(Number.isNaN(c) ? NaN : c <= 0.05)}`;
	case 'incbytes': return `<= 2x git${mark(Number.isNaN(ratio(c, g)) ? NaN : ratio(c, g) <= 2)}`;
	case 'noop': return `< 0.01 (1/100)${mark(Number.isNaN(c) ? NaN : c < 0.01)}`;
	default: return '';
	}
}

function table(res) {
	const { R } = res;
	const cells = [['measure', 'carelog', 'git', 'pouchdb', 'carelog/git', 'carelog/pouchdb', 'target']];
	const json = { records: opts.records, seed: opts.seed, rows: {} };
	for (const [name, key, fn, tk, noratio] of ROWS) {
		const c = val(fn, R, 'carelog'), g = val(fn, R, 'git'), p = val(fn, R, 'pouchdb');
		const t = tk ? target(tk, c, g, p) : '';
		cells.push([name, fmtV(c), fmtV(g), fmtV(p), noratio ? '-' : fmtR(ratio(c, g)),
			noratio ? '-' : fmtR(ratio(c, p)), t]);
		const n = (v) => (Number.isNaN(v) ? null : v);
		json.rows[key] = { carelog: n(c), git: n(g), pouchdb: n(p), ...(t ? { target: t } : {}) };
	}
	json.notes = res.notes;
	if (opts.json)
		return JSON.stringify(json, null, 2) + '\n';
	const w = cells[0].map((_, i) => Math.max(...cells.map((r) => r[i].length)));
	const line = (r) => r[0].padEnd(w[0]) + r.slice(1, -1).map((c, i) => ` | ${c.padStart(w[i + 1])}`).join('') +
		` |${r[6] ? ' ' + r[6] : ''}`;
	const e = res.edits;
	const head = [
		`carelog sync bench: one chart of ${opts.records} records (seed ${opts.seed}), ${res.commitsInChart} commits;` +
		` served by git daemon (carelog, git) and express-pouchdb (PouchDB) on 127.0.0.1, through a byte-counting relay`,
		`edits per side: ${e.amends} amends + ${e.adds} new records (${e.perSide}, 1%), ${e.overlap} amended on both sides;` +
		` git replays the same commits with the same file contents`,
		`initial clone: best of 2 (phones A, B; ${['carelog', 'git', 'pouchdb'].filter((s) => R[s].cloneTimes)
			.map((s) => `${s} ${R[s].cloneTimes.map((t) => t.toFixed(2)).join(' / ')} s`).join(', ')});` +
		` incremental: A sync, B sync (merge), A sync; no-op: median of ${opts.noopRuns}`,
		...res.notes,
		'ratio = carelog / peer: < 1 is better; "/ own clone" rows divide each system\'s figure by its own clone time',
		'',
	];
	return head.join('\n') + '\n' + cells.map(line).join('\n') + '\n';
}

function cleanup() {
	for (const c of children)
		if (c.exitCode === null)
			c.kill('SIGTERM');
	if (scratch && !opts.keep)
		fs.rmSync(scratch, { recursive: true, force: true });
	else if (scratch)
		log(`kept ${scratch}`);
}

process.on('SIGINT', () => { cleanup(); process.exit(130); });
process.on('SIGTERM', () => { cleanup(); process.exit(143); });

main().then((res) => {
	process.stdout.write(table(res));
	cleanup();
	process.exit(0);
}, (err) => {
	process.stderr.write(`syncbench: ${err.stack || err}\n`);
	cleanup();
	process.exit(1);
});
