// Runs static/carecase/idnumber.js, as a classic script in a fresh vm context (no window, no
// require: what a page or a service worker gives it), over the cases of a vector file, and
// prints {codes, digitRuns, results: [{name, result, message}]} as JSON; `message` is
// CareCaseId.message(result, messages) with the {code: message} file given third (as a page
// gets it from children.idnumber.error_messages()). Used by tests/children/test_idnumber_vectors.py.
//   node tests/vectors/run_idnumber.js static/carecase/idnumber.js tests/vectors/resident_ids.json \
//     [messages.json]
'use strict';
const fs = require('fs');
const vm = require('vm');

const [script, vectors, messagesFile] = process.argv.slice(2);
const context = vm.createContext({});
vm.runInContext(fs.readFileSync(script, 'utf8'), context, {filename: script});
const api = context.CareCaseId;
if (!api) throw new Error(`${script} did not set CareCaseId on the global object`);

const data = JSON.parse(fs.readFileSync(vectors, 'utf8'));
const messages = messagesFile ? JSON.parse(fs.readFileSync(messagesFile, 'utf8')) : {};
const out = {
  codes: Array.from(api.CODES),
  digitRuns: api.DIGIT_RUNS.map((run) => Array.from(run)),
  results: data.cases.map((c) => {
    const result = api.check(c.input, data.today);
    return {name: c.name, result, message: api.message(result, messages)};
  }),
};
process.stdout.write(JSON.stringify(out));
