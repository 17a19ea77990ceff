/* CareCase: the resident-ID check (GB 11643-1999) on the phone, offline, by the server's rules.
 *
 * A classic script with no dependencies: in a page it sets window.CareCaseId, in a service or web
 * worker (importScripts) self.CareCaseId. It mirrors children/idnumber.py rule for rule and in
 * the same order, and refuses with the same codes and params; tests/vectors/resident_ids.json is
 * the one set of cases both are tested against (tests/children/test_idnumber_vectors.py).
 *
 *   CareCaseId.check(value, today)
 *     -> {ok: true, normalized, areaCode, birthDate: 'YYYY-MM-DD', gender: 'M' | 'F', masked}
 *     -> {ok: false, code, params}
 *   today: 'YYYY-MM-DD' or a Date (its local date); the phone's local date when left out.
 *   codes: CareCaseId.CODES (id_float, id_length, id_characters, id_date, id_date_impossible,
 *   id_checksum). The messages are not here: they come from Django's catalogue
 *   (children.idnumber.error_messages(), rendered into the page) and
 *   CareCaseId.message(result, messages) fills in the params.
 */
(function (root) {
  'use strict';

  var CODES = ['id_float', 'id_length', 'id_characters', 'id_date', 'id_date_impossible',
    'id_checksum'];
  var WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]; // 2^(17-i) mod 11
  var CHECK = '10X98765432';

  // Python's \s in a str pattern (the characters of str.isspace), not JavaScript's \s.
  var SPACES = /[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/g;

  // Python's \d (and int()) take every Unicode decimal digit, not only 0-9: these are the runs
  // of them in Python 3.11's Unicode 14 database ([first code point, length]; each run counts
  // 0-9 upwards, 0x1D7CE five times). A test compares this table with the server's Python.
  var DIGIT_RUNS = [
    [0x30, 10], [0x660, 10], [0x6F0, 10], [0x7C0, 10], [0x966, 10], [0x9E6, 10], [0xA66, 10],
    [0xAE6, 10], [0xB66, 10], [0xBE6, 10], [0xC66, 10], [0xCE6, 10], [0xD66, 10], [0xDE6, 10],
    [0xE50, 10], [0xED0, 10], [0xF20, 10], [0x1040, 10], [0x1090, 10], [0x17E0, 10],
    [0x1810, 10], [0x1946, 10], [0x19D0, 10], [0x1A80, 10], [0x1A90, 10], [0x1B50, 10],
    [0x1BB0, 10], [0x1C40, 10], [0x1C50, 10], [0xA620, 10], [0xA8D0, 10], [0xA900, 10],
    [0xA9D0, 10], [0xA9F0, 10], [0xAA50, 10], [0xABF0, 10], [0xFF10, 10], [0x104A0, 10],
    [0x10D30, 10], [0x11066, 10], [0x110F0, 10], [0x11136, 10], [0x111D0, 10], [0x112F0, 10],
    [0x11450, 10], [0x114D0, 10], [0x11650, 10], [0x116C0, 10], [0x11730, 10], [0x118E0, 10],
    [0x11950, 10], [0x11C50, 10], [0x11D50, 10], [0x11DA0, 10], [0x16A60, 10], [0x16AC0, 10],
    [0x16B50, 10], [0x1D7CE, 50], [0x1E140, 10], [0x1E2F0, 10], [0x1E950, 10], [0x1FBF0, 10]
  ];

  /* The value 0-9 of one character (a code point) that Python reads as a digit, else -1. */
  function digit(ch) {
    var cp = ch.codePointAt(0);
    for (var i = 0; i < DIGIT_RUNS.length; i++) {
      var start = DIGIT_RUNS[i][0];
      if (cp >= start && cp < start + DIGIT_RUNS[i][1]) return (cp - start) % 10;
    }
    return -1;
  }

  /* int() of a run of digits (all of them digits, as the shape check has made sure). */
  function number(chars) {
    var n = 0;
    for (var i = 0; i < chars.length; i++) n = n * 10 + digit(chars[i]);
    return n;
  }

  function allDigits(chars) {
    if (!chars.length) return false;
    for (var i = 0; i < chars.length; i++) if (digit(chars[i]) < 0) return false;
    return true;
  }

  /* ^\d(\.\d+)?[eE]\+?\d+$ on the code points: what Excel makes of an 18-digit number. */
  function floatish(chars) {
    var s = chars.join('');
    var m = /^([^.eE+]+)(?:\.([^.eE+]+))?[eE]\+?([^.eE+]+)$/u.exec(s);
    if (!m) return false;
    var lead = Array.from(m[1]);
    return lead.length === 1 && allDigits(lead) &&
      (m[2] === undefined || allDigits(Array.from(m[2]))) && allDigits(Array.from(m[3]));
  }

  function pad(n, width) {
    var s = String(n);
    while (s.length < width) s = '0' + s;
    return s;
  }

  function isoDate(y, m, d) {
    return pad(y, 4) + '-' + pad(m, 2) + '-' + pad(d, 2);
  }

  /* datetime.date's rules: years 1-9999, the proleptic Gregorian calendar. */
  function realDate(y, m, d) {
    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1) return false;
    var leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
    var days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
    return d <= days;
  }

  function todayIso(today) {
    if (today === undefined || today === null) today = new Date();
    if (today instanceof Date) {
      return isoDate(today.getFullYear(), today.getMonth() + 1, today.getDate());
    }
    if (!/^\d{4}-\d{2}-\d{2}$/.test(today)) throw new TypeError('today must be YYYY-MM-DD');
    return today;
  }

  /* Upper-case, without spaces (children.idnumber.normalize). */
  function normalize(raw) {
    return String(raw).replace(SPACES, '').toUpperCase();
  }

  /* 500109********123X: area code and the last four characters only (idnumber.mask, the rule of
   * Child.id_masked). */
  function mask(value) {
    var chars = Array.from(value || '');
    if (!chars.length) return '';
    if (chars.length < 10) return chars.map(function () { return '*'; }).join('');
    return chars.slice(0, 6).join('') + new Array(chars.length - 10 + 1).join('*') +
      chars.slice(-4).join('');
  }

  /* The ISO 7064 MOD 11-2 check character of the first 17 digits. */
  function checkCharacter(first17) {
    var chars = Array.from(first17);
    if (chars.length !== 17 || !allDigits(chars)) throw new TypeError('17 digits expected');
    var total = 0;
    for (var i = 0; i < 17; i++) total += digit(chars[i]) * WEIGHTS[i];
    return CHECK.charAt(total % 11);
  }

  function refuse(code, params) {
    return {ok: false, code: code, params: params || {}};
  }

  function check(value, today) {
    var normalized = normalize(value);
    var chars = Array.from(normalized); // code points, as Python counts them
    if (floatish(chars)) return refuse('id_float', {value: normalized});
    if (chars.length !== 18) return refuse('id_length', {n: chars.length});
    var last = chars[17];
    if (!allDigits(chars.slice(0, 17)) || !(digit(last) >= 0 || last === 'X')) {
      return refuse('id_characters');
    }
    var y = number(chars.slice(6, 10));
    var m = number(chars.slice(10, 12));
    var d = number(chars.slice(12, 14));
    if (!realDate(y, m, d)) return refuse('id_date', {digits: chars.slice(6, 14).join('')});
    var birth = isoDate(y, m, d);
    if (birth > todayIso(today) || y < 1900) return refuse('id_date_impossible', {date: birth});
    if (checkCharacter(chars.slice(0, 17).join('')) !== last) return refuse('id_checksum');
    return {
      ok: true,
      normalized: normalized,
      areaCode: chars.slice(0, 6).join(''),
      birthDate: birth,
      gender: digit(chars[16]) % 2 ? 'M' : 'F', // children.choices.Gender
      masked: mask(normalized)
    };
  }

  /* Python's "%(name)s" / "%(name)d" filled from params (the messages keep Django's form). */
  function format(template, params) {
    return String(template).replace(/%\((\w+)\)[sd]|%%/g, function (all, name) {
      if (all === '%%') return '%';
      return Object.prototype.hasOwnProperty.call(params || {}, name) ? String(params[name]) : all;
    });
  }

  /* The message for a refusal, from {code: message} as rendered by the server; '' for ok. */
  function message(result, messages) {
    if (!result || result.ok) return '';
    var template = messages && messages[result.code];
    return template === undefined ? result.code : format(template, result.params);
  }

  root.CareCaseId = {
    CODES: CODES,
    DIGIT_RUNS: DIGIT_RUNS,
    check: check,
    normalize: normalize,
    mask: mask,
    checkCharacter: checkCharacter,
    format: format,
    message: message
  };
})(typeof globalThis !== 'undefined' ? globalThis : self);
