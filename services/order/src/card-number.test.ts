import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import { looksLikeCardNumber } from "./card-number.js";

test("card numbers of 13 to 19 digits are recognised, grouped or not, alone or inside other text", () => {
  for (const text of [
    "4242424242424242",
    "4242 4242 4242 4242",
    "4000-0566-5566-5556",
    "3782 822463 10005",
    "4222222222222",
    "6011111111111111117",
    " 4242424242424241 ",
    "card:4242424242424242",
    "4242 4242 4242 4242 1234",
    "4242-4242-4242-4242-0000",
  ]) {
    assert.equal(looksLikeCardNumber(text), true, text);
  }
});

test("provider tokens, short numbers and longer digit runs are not card numbers", () => {
  for (const text of [
    "tok_visa",
    "tok_chargeDeclined",
    "tok_1N3T00LkdIwHu7ixt44h1F8k",
    "0b9f2c1e-8d4a-4f3b-9c2d-1e0f5a6b7c8d",
    "12345678-1234-1234-1234-123456789012",
    "10c243e9-3195-4954-9097-e70574656689",
    "tok_2024-01-15-123456",
    "424242424242",
    "42424242424242424242",
    "",
  ]) {
    assert.equal(looksLikeCardNumber(text), false, text);
  }
});

test("UUID-shaped provider tokens are never taken for card numbers", () => {
  // A digit run inside a UUID can reach 13+ digits across its dashes (about 2 % of random UUIDs).
  for (let i = 0; i < 20_000; i++) {
    const token = randomUUID();
    assert.equal(looksLikeCardNumber(token), false, token);
    assert.equal(looksLikeCardNumber(token.toUpperCase()), false, token);
  }
});
