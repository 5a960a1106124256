// bench/sync/pouch.mjs - the PouchDB peer of the sync bench, run as a child
// process of syncbench.mjs so that each step has its own peak RSS.
//
//   node pouch.mjs serve DIR                 PouchDB over HTTP (express-pouchdb),
//                                            databases under DIR; prints the port
//   node pouch.mjs load DB JSONL             put every line as a document (_id = id)
//   node pouch.mjs replicate URL DB          one-way replication URL -> DB (a clone)
//   node pouch.mjs edit DB EDITS.json        {"amend": [[id, note]...], "add": [record...]}
//   node pouch.mjs sync URL DB               two-way replication (PouchDB.sync)
//
// DB is a directory path (the LevelDB adapter, PouchDB's default in Node.js).
// Results are printed as one JSON line on stdout.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

const require = createRequire(new URL('../peers/package.json', import.meta.url));
const PouchDB = require('pouchdb');

function out(obj) {
	process.stdout.write(JSON.stringify(obj) + '\n');
}

function doc(record) {
	return { _id: record.id, ...record };
}

async function serve(dir) {
	const express = require('express');
	fs.mkdirSync(dir, { recursive: true });
	const Prefixed = PouchDB.defaults({ prefix: dir + path.sep });
	const app = express();
	app.use('/', require('express-pouchdb')(Prefixed, {
		mode: 'minimumForPouchDB',
		inMemoryConfig: true,
		logPath: path.join(dir, 'express-pouchdb.log'),
	}));
	const server = app.listen(0, '127.0.0.1', () => out({ port: server.address().port }));
	const stop = () => server.close(() => process.exit(0));
	process.on('SIGTERM', stop);
	process.on('SIGINT', stop);
}

async function load(dbPath, file) {
	const db = new PouchDB(dbPath);
	const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
	let batch = [], n = 0;
	for await (const line of rl) {
		if (!line.trim())
			continue;
		batch.push(doc(JSON.parse(line)));
		if (batch.length === 1000) {
			n += await put(db, batch);
			batch = [];
		}
	}
	if (batch.length)
		n += await put(db, batch);
	await db.close();
	out({ docs: n });
}

async function put(db, docs) {
	const res = await db.bulkDocs(docs);
	const bad = res.filter((r) => r.error);
	if (bad.length)
		throw new Error(`bulkDocs: ${bad.length} failed, first: ${JSON.stringify(bad[0])}`);
	return res.length;
}

async function replicate(url, dbPath) {
	const db = new PouchDB(dbPath);
	const r = await PouchDB.replicate(url, db);
	await db.close();
	out({ ok: r.ok, docs_read: r.docs_read, docs_written: r.docs_written });
}

async function edit(dbPath, file) {
	const e = JSON.parse(fs.readFileSync(file, 'utf8'));
	const db = new PouchDB(dbPath);
	const got = await db.allDocs({ keys: e.amend.map((a) => a[0]), include_docs: true });
	const docs = got.rows.map((row, i) => {
		if (!row.doc)
			throw new Error(`no document ${e.amend[i][0]}`);
		return { ...row.doc, note: e.amend[i][1] };
	});
	const n = await put(db, docs.concat(e.add.map(doc)));
	await db.close();
	out({ written: n });
}

async function sync(url, dbPath) {
	const db = new PouchDB(dbPath);
	const r = await PouchDB.sync(db, url);
	await db.close();
	out({ ok: r.push.ok && r.pull.ok, sent: r.push.docs_written, received: r.pull.docs_written });
}

const [cmd, a, b] = process.argv.slice(2);
const cmds = { serve, load, replicate, edit, sync };
if (!cmds[cmd]) {
	process.stderr.write('usage: node pouch.mjs serve|load|replicate|edit|sync ARGS (see the file head)\n');
	process.exit(2);
}
cmds[cmd](a, b).catch((err) => {
	process.stderr.write(`pouch.mjs ${cmd}: ${err && err.stack ? err.stack : err}\n`);
	process.exit(1);
});
