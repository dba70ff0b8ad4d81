use strict;
use warnings;
use Test::More;

use_ok( 'Devel::MAT::Dumper' );
ok( defined &Devel::MAT::Dumper::dump,   'dump() is defined' );
ok( defined &Devel::MAT::Dumper::dumpfh, 'dumpfh() is defined' );
{ no warnings 'once'; is( $Devel::MAT::Dumper::MAX_STRING, 256, 'MAX_STRING defaults to 256' ); }

done_testing;
