use strict;
use warnings;
use Test::More;

eval { require Test::Pod; Test::Pod->VERSION(1.00); 1 }
    or plan skip_all => "Test::Pod is not installed (Debian: libtest-pod-perl)";

Test::Pod::all_pod_files_ok( Test::Pod::all_pod_files( 'lib', 'reader' ) );
