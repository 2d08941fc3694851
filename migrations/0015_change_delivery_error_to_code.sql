-- Up Migration

-- Why a message was not delivered becomes a code with parameters (src/lib/delivery-errors.ts), worded
-- for the seller in English or Thai by the UI, instead of an English sentence shown as it was stored.
-- The sentences written so far become their code; the technical part is kept as `detail`, and a
-- sentence no rule recognises is kept whole as the detail of a `platform_refused` reason.
alter table messages alter column delivery_error type jsonb using (
	case
		when delivery_error is null then null
		when delivery_error = 'The connection was disconnected' then jsonb_build_object('code', 'disconnected')
		when delivery_error ~ '^Gave up after [0-9]+ tries: unexpected error: ' then jsonb_build_object(
			'code', 'internal',
			'attempts', substring(delivery_error from '^Gave up after ([0-9]+) tries')::int,
			'detail', substring(delivery_error from '^Gave up after [0-9]+ tries: (.*)$'))
		when delivery_error ~ '^Gave up after [0-9]+ tries: ' then jsonb_build_object(
			'code', 'platform_unreachable',
			'attempts', substring(delivery_error from '^Gave up after ([0-9]+) tries')::int,
			'detail', substring(delivery_error from '^Gave up after [0-9]+ tries: (.*)$'))
		when delivery_error like '% lets you reply only after the customer has written to you.' then jsonb_build_object('code', 'no_customer_message')
		when delivery_error like '% allows replies for % after the customer''s last message.%' then jsonb_build_object('code', 'window_closed', 'detail', delivery_error)
		when delivery_error like 'message text has %; the limit is %' then jsonb_build_object('code', 'too_long', 'detail', delivery_error)
		else jsonb_build_object('code', 'platform_refused', 'detail', delivery_error)
	end
);

-- Down Migration
